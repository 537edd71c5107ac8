package dev.semcache.server.judge;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The features of a (query, matched prompt) pair that the second-stage judge weighs: the two bundled
 * bi-encoders' cosine similarities and cheap lexical signals that the bi-encoders are known to blur
 * (swapped word order, a different number or name, a negation). Computed the same way by the trainer
 * ({@code ./semcache bench train-judge}) and the server; {@link #NAMES} is the order of the
 * coefficients in the judge's file, and the file is refused unless it names exactly these.
 *
 * @param values in the order of {@link #NAMES}
 */
public record PairFeatures(double[] values) {
  /** Feature names, in coefficient order. Changing one means a new coefficients file. */
  public static final List<String> NAMES = List.of(
      "cosine_first_model",   // the cosine similarity of the pair under the judge's first model
      "cosine_second_model",  // ... and under its second model
      "token_jaccard",        // |A ∩ B| / |A ∪ B| of lower-cased word tokens
      "bigram_jaccard",       // the same of adjacent word pairs: low when the same words are reordered
      "order_discordance",    // of the pairs of words both sides have once, the share in the opposite order
      "length_ratio",         // shorter / longer, in tokens
      "number_mismatch",      // 1 if the sets of numbers differ
      "capitalised_mismatch", // 1 - Jaccard of the capitalised words after the first (names, places)
      "negation_mismatch",    // 1 if one side is negated (not, no, never, n't, without) and the other not
      // Word overlap means different things in a short query (the same words: the same need) and in a
      // long sentence (the same words, perhaps swapped: PAWS's hard negatives). So the length, and the
      // overlap features and the second cosine weighted by it, let one linear model serve both.
      "log_length",           // ln(1 + mean word count) / 4
      "token_jaccard_x_log_length",
      "bigram_jaccard_x_log_length",
      "cosine_second_model_x_log_length");

  private static final Pattern WORD = Pattern.compile("[\\p{L}\\p{N}']+");
  private static final Pattern NUMBER = Pattern.compile("\\p{N}+(?:[.,]\\p{N}+)*");
  private static final Set<String> NEGATIONS = Set.of("not", "no", "never", "without", "cannot", "nor", "none");

  /** The features of a pair, given its cosine similarity under each of the judge's two models. */
  public static PairFeatures of(double cosineFirst, double cosineSecond, String query, String matched) {
    List<String> a = words(query);
    List<String> b = words(matched);
    double tokens = jaccard(lower(a), lower(b));
    double bigrams = jaccard(bigrams(lower(a)), bigrams(lower(b)));
    double length = Math.log1p((a.size() + b.size()) / 2.0) / 4;
    return new PairFeatures(new double[] {
        cosineFirst,
        cosineSecond,
        tokens,
        bigrams,
        discordance(lower(a), lower(b)),
        a.isEmpty() || b.isEmpty() ? 0 : Math.min(a.size(), b.size()) / (double) Math.max(a.size(), b.size()),
        numbers(query).equals(numbers(matched)) ? 0 : 1,
        1 - jaccard(capitalised(a), capitalised(b)),
        negated(a) == negated(b) ? 0 : 1,
        length,
        tokens * length,
        bigrams * length,
        cosineSecond * length});
  }

  private static List<String> words(String s) {
    List<String> out = new ArrayList<>();
    Matcher m = WORD.matcher(s);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  private static List<String> lower(List<String> words) {
    return words.stream().map(w -> w.toLowerCase(Locale.ROOT)).toList();
  }

  private static Set<String> bigrams(List<String> words) {
    Set<String> out = new HashSet<>();
    for (int i = 0; i + 1 < words.size(); i++) {
      out.add(words.get(i) + ' ' + words.get(i + 1));
    }
    return out;
  }

  private static Set<String> numbers(String s) {
    Set<String> out = new HashSet<>();
    Matcher m = NUMBER.matcher(s);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  private static Set<String> capitalised(List<String> words) {
    Set<String> out = new HashSet<>();
    for (int i = 1; i < words.size(); i++) {
      String w = words.get(i);
      if (Character.isUpperCase(w.codePointAt(0))) {
        out.add(w);
      }
    }
    return out;
  }

  private static boolean negated(List<String> words) {
    int n = 0;
    for (String w : words) {
      String l = w.toLowerCase(Locale.ROOT);
      if (NEGATIONS.contains(l) || l.endsWith("n't")) {
        n++;
      }
    }
    return n % 2 == 1;
  }

  /**
   * Of the pairs of words that occur exactly once on each side, the share whose order differs: 0 for
   * the same order, near 1 for a reversal. "from Paris to London" against "from London to Paris" shares
   * every word but not their order, which a bag of words (and largely a bi-encoder) does not see.
   */
  static double discordance(List<String> a, List<String> b) {
    java.util.Map<String, Integer> inA = once(a);
    java.util.Map<String, Integer> inB = once(b);
    List<int[]> shared = new ArrayList<>();
    for (var e : inA.entrySet()) {
      Integer j = inB.get(e.getKey());
      if (j != null) {
        shared.add(new int[] {e.getValue(), j});
      }
    }
    long pairs = 0;
    long discordant = 0;
    for (int i = 0; i < shared.size(); i++) {
      for (int k = i + 1; k < shared.size(); k++) {
        pairs++;
        if (Integer.signum(shared.get(i)[0] - shared.get(k)[0]) != Integer.signum(shared.get(i)[1] - shared.get(k)[1])) {
          discordant++;
        }
      }
    }
    return pairs == 0 ? 0 : discordant / (double) pairs;
  }

  private static java.util.Map<String, Integer> once(List<String> words) {
    java.util.Map<String, Integer> at = new java.util.HashMap<>();
    java.util.Set<String> repeated = new HashSet<>();
    for (int i = 0; i < words.size(); i++) {
      if (at.putIfAbsent(words.get(i), i) != null) {
        repeated.add(words.get(i));
      }
    }
    at.keySet().removeAll(repeated);
    return at;
  }

  /** Jaccard similarity; two empty sets are alike (1). */
  static double jaccard(java.util.Collection<String> a, java.util.Collection<String> b) {
    Set<String> x = new HashSet<>(a);
    Set<String> y = new HashSet<>(b);
    if (x.isEmpty() && y.isEmpty()) {
      return 1;
    }
    int common = 0;
    for (String s : x) {
      if (y.contains(s)) {
        common++;
      }
    }
    return common / (double) (x.size() + y.size() - common);
  }
}
