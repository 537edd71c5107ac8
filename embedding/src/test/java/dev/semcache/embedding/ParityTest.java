package dev.semcache.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.langchain4j.model.embedding.EmbeddingModel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Our vectors against an independent implementation of the same model (langchain4j), for varied texts,
 * embedded alone and through the {@link ParallelEmbedder} among concurrent texts of other lengths.
 *
 * <p>Texts over the token limit: we truncate, langchain4j splits and averages. The oracle is therefore
 * given the prefix our tokenizer keeps ({@link OnnxEmbedder#readPrefix}), which is what a truncating
 * implementation must agree with.
 */
class ParityTest {
  private static final double MIN_COSINE = 0.999;

  @ParameterizedTest
  @ValueSource(strings = {"all-minilm-l6-v2-q", "bge-small-en-v15-q"})
  void agreesWithLangchain4jAloneAndUnderConcurrency(String name) {
    ModelSpec spec = ModelSpec.named(name);
    EmbeddingModel oracle = Oracle.of(name);
    List<String> texts = VariedTexts.all();
    assertThat(texts).hasSizeGreaterThanOrEqualTo(50);
    // The texts go in as one burst: no wait bound, since this test is about results, not load shedding
    // (a busy machine can make the expected wait of a burst exceed the default 5 s).
    ParallelOptions burst = new ParallelOptions(Runtime.getRuntime().availableProcessors(), 1024,
        java.time.Duration.ofMinutes(30));
    try (ParallelEmbedder front = ParallelEmbedder.open(spec, OnnxOptions.defaults(), burst)) {
      OnnxEmbedder alone = OnnxEmbedder.open(spec, OnnxOptions.defaults());
      try {
        List<String> failures = new ArrayList<>();
        float[][] aloneVectors = new float[texts.size()][];
        for (int i = 0; i < texts.size(); i++) {
          String text = texts.get(i);
          TokenizedText tokens = alone.tokenize(text);
          String oracleInput = tokens.truncated() ? alone.readPrefix(text) : text;
          float[] expected = Oracle.embed(oracle, oracleInput);
          aloneVectors[i] = alone.embed(text);
          assertThat(aloneVectors[i]).hasSize(spec.dimension());
          float cos = Vectors.cosine(expected, aloneVectors[i]);
          if (cos < MIN_COSINE) {
            failures.add(String.format("alone: cos=%.5f for %s", cos, abbreviate(text)));
          }
        }
        // The same texts again, many times over, shuffled and in flight together.
        List<Integer> order = new ArrayList<>();
        for (int rep = 0; rep < 4; rep++) {
          for (int i = 0; i < texts.size(); i++) {
            order.add(i);
          }
        }
        Collections.shuffle(order, new Random(42));
        List<CompletableFuture<float[]>> futures = new ArrayList<>();
        for (int i : order) {
          futures.add(CompletableFuture.supplyAsync(() -> front.embed(texts.get(i))));
        }
        for (int k = 0; k < order.size(); k++) {
          int i = order.get(k);
          float cos = Vectors.cosine(aloneVectors[i], futures.get(k).join());
          if (cos < MIN_COSINE) {
            failures.add(String.format("concurrent: cos=%.5f for %s", cos, abbreviate(texts.get(i))));
          }
        }
        assertThat(failures).as("texts below cosine %s", MIN_COSINE).isEmpty();
      } finally {
        alone.close();
      }
    }
  }

  static String abbreviate(String s) {
    String flat = s.replaceAll("\\s+", " ");
    return '"' + (flat.length() > 60 ? flat.substring(0, 60) + "..." : flat) + '"';
  }
}
