package dev.semcache.bench;

import dev.semcache.embedding.TokenizedText;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;
import java.util.function.LongFunction;

/**
 * The prompts of the load test, from the distinct sentences of ../shared/data ({@link SharedDatasets}),
 * shuffled with a fixed seed. So that the embedding scenarios do the same work per text as the raw model
 * baseline, the sentences kept are the ones whose token count is closest to {@code centerTokens} (the
 * baseline's length less one, since most lookups add a word or two); they are then split, disjoint, into
 * the stored prompts, the base of the miss prompts and the base of the new prompts to store.
 *
 * <ul>
 *   <li>exact: stored prompt {@code i mod N}, verbatim.
 *   <li>semantic: stored prompt {@code i mod N} lightly altered by template {@code (i / N) mod T} (a
 *       polite word before or after); each alteration is distinct text, so the exact path misses and the
 *       prompt is embedded, and {@link #semanticSource} is the stored prompt it should match.
 *   <li>miss and store: base prompt {@code i mod M}, verbatim the first time round, then with each
 *       template in turn, so that they stay distinct for {@code M * (T + 1)} requests.
 * </ul>
 */
final class LoadPrompts {
  private static final List<Function<String, String>> TEMPLATES = List.of(
      p -> "please " + lowerFirst(p),
      p -> p + " thanks",
      p -> "hey, " + lowerFirst(p),
      p -> p + " please",
      p -> "so " + lowerFirst(p),
      p -> "quick question: " + lowerFirst(p));

  final List<String> stored;
  final List<String> missBase;
  final List<String> storeBase;

  private LoadPrompts(List<String> stored, List<String> missBase, List<String> storeBase) {
    this.stored = stored;
    this.missBase = missBase;
    this.storeBase = storeBase;
  }

  /**
   * @param entries how many prompts to store
   * @param others how many base prompts each for misses and for stores
   */
  static LoadPrompts build(Function<String, TokenizedText> tokenizer, int entries, int others, int centerTokens,
      int maxTokens) {
    List<String> all = new ArrayList<>(SharedDatasets.allSentences());
    Collections.shuffle(all, new Random(42));
    int need = entries + 2 * others;
    if (all.size() < need) {
      throw new IllegalArgumentException("the shared datasets hold " + all.size() + " distinct sentences; "
          + need + " are needed (entries + 2 x " + others + ")");
    }
    record Sized(String text, int distance) {}
    List<Sized> sized = new ArrayList<>(all.size());
    for (String s : all) {
      TokenizedText t = tokenizer.apply(s);
      // Leave room for the longest template below the model's limit.
      if (!t.truncated() && t.length() + 8 < maxTokens) {
        sized.add(new Sized(s, Math.abs(t.length() - centerTokens)));
      }
    }
    sized.sort(Comparator.comparingInt(Sized::distance)); // stable: shuffled order within a distance
    List<String> chosen = new ArrayList<>(need);
    for (int i = 0; i < need; i++) {
      chosen.add(sized.get(i).text());
    }
    Collections.shuffle(chosen, new Random(43));
    return new LoadPrompts(List.copyOf(chosen.subList(0, entries)),
        List.copyOf(chosen.subList(entries, entries + others)), List.copyOf(chosen.subList(entries + others, need)));
  }

  int entries() {
    return stored.size();
  }

  String exact(long i) {
    return stored.get((int) (i % stored.size()));
  }

  String semantic(long i) {
    int n = stored.size();
    return TEMPLATES.get((int) ((i / n) % TEMPLATES.size())).apply(stored.get((int) (i % n)));
  }

  String semanticSource(long i) {
    return exact(i);
  }

  /** How many semantic prompts there are before they repeat. */
  long semanticDistinct() {
    return (long) stored.size() * TEMPLATES.size();
  }

  String miss(long i) {
    return cycled(missBase, i);
  }

  String store(long i) {
    return cycled(storeBase, i);
  }

  /** How many miss (or store) prompts there are before they repeat. */
  long othersDistinct() {
    return (long) missBase.size() * (TEMPLATES.size() + 1);
  }

  /** Prompt {@code p} lightly altered by template {@code variant mod T}: distinct text that should still hit. */
  static String altered(String p, int variant) {
    return TEMPLATES.get(Math.floorMod(variant, TEMPLATES.size())).apply(p);
  }

  private static String cycled(List<String> base, long i) {
    int n = base.size();
    int round = (int) ((i / n) % (TEMPLATES.size() + 1));
    String p = base.get((int) (i % n));
    return round == 0 ? p : TEMPLATES.get(round - 1).apply(p);
  }

  /** Mean token count (with the model's special tokens) of the first {@code n} prompts of a scenario. */
  static double meanTokens(Function<String, TokenizedText> tokenizer, LongFunction<String> prompts, int n) {
    long sum = 0;
    for (int i = 0; i < n; i++) {
      sum += tokenizer.apply(prompts.apply(i)).length();
    }
    return sum / (double) n;
  }

  private static String lowerFirst(String s) {
    if (s.length() > 1 && Character.isUpperCase(s.charAt(0)) && !Character.isUpperCase(s.charAt(1))) {
      return s.substring(0, 1).toLowerCase(Locale.ROOT) + s.substring(1);
    }
    return s;
  }
}
