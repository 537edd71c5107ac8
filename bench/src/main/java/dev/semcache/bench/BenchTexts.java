package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.semcache.embedding.TokenizedText;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Real prompts for benchmarks: the distinct sentences of GPTCache's mock data (MIT,
 * ../shared/data/gptcache_mock). Embedding benchmarks use only the sentences of the most common token
 * length, so that a batch of them needs no padding and every benchmark does the same work per text.
 */
final class BenchTexts {
  private BenchTexts() {}

  static Path sharedDir() {
    return Path.of(System.getProperty("semcache.shared.dir", "../shared"));
  }

  static List<String> gptcacheSentences() {
    Path file = sharedDir().resolve("data/gptcache_mock/mock_data.json");
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(file.toAbsolutePath() + " not found; run from the repository root"
          + " with ../shared beside it, or pass -Dsemcache.shared.dir=DIR");
    }
    try {
      LinkedHashSet<String> out = new LinkedHashSet<>();
      for (JsonNode row : new ObjectMapper().readTree(file.toFile())) {
        out.add(row.get("origin").asText());
        out.add(row.get("similar").asText());
      }
      return new ArrayList<>(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The tokenized sentences that share the most common token length (at least {@code min} of them). */
  static List<TokenizedText> equalLength(Function<String, TokenizedText> tokenizer, int min) {
    Map<Integer, List<TokenizedText>> byLength = new HashMap<>();
    for (String s : gptcacheSentences()) {
      TokenizedText t = tokenizer.apply(s);
      byLength.computeIfAbsent(t.length(), k -> new ArrayList<>()).add(t);
    }
    List<TokenizedText> best = byLength.values().stream()
        .max((a, b) -> Integer.compare(a.size(), b.size())).orElseThrow();
    if (best.size() < min) {
      throw new IllegalStateException("only " + best.size() + " sentences share a token length; need " + min);
    }
    return best;
  }
}
