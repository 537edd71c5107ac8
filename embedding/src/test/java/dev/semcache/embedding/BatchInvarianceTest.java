package dev.semcache.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A prompt gets the same vector whatever traffic it shares the embedder with.
 *
 * <p>The first test pins down why semcache does not merge requests into shared batches: with the int8
 * dynamically quantized model, even a batch of equal-length texts (no padding at all) changes a text's
 * vector. If a future model or ONNX Runtime made batches invariant, that test fails and tells us that
 * shared batches became safe.
 */
class BatchInvarianceTest {
  private static OnnxEmbedder wide;
  private static OnnxEmbedder narrow;

  @BeforeAll
  static void open() {
    ModelSpec spec = ModelSpec.named(ModelSpec.DEFAULT);
    wide = OnnxEmbedder.open(spec, OnnxOptions.defaults().withIntraOpThreads(2));
    narrow = OnnxEmbedder.open(spec, OnnxOptions.defaults().withIntraOpThreads(1));
  }

  @AfterAll
  static void close() {
    wide.close();
    narrow.close();
  }

  @Test
  void sharedBatchOfEqualLengthTextsChangesTheVectorOfTheQuantizedModel() {
    TokenizedText target = wide.tokenize("How do I reset my password?");
    List<TokenizedText> batch = new ArrayList<>(List.of(target));
    for (String other : List.of("Where can I download my last invoice?", "Is there a student discount available?",
        "Why was my card declined yesterday?", "Can I change my delivery address now?",
        "What time does the shop open today?", "How long does shipping to Canada take?")) {
      TokenizedText t = wide.tokenize(other);
      if (t.length() == target.length()) {
        batch.add(t);
      }
    }
    assertThat(batch).as("companions of equal token length").hasSizeGreaterThanOrEqualTo(3);
    float[] alone = wide.embedTokenized(List.of(target)).get(0);
    float[] inBatch = wide.runBatch(batch).get(0);
    assertThat(Vectors.dot(alone, inBatch)).as("cosine alone vs in a shared batch").isLessThan(0.9999f);
  }

  @Test
  void wideAndNarrowSessionsGiveBitIdenticalVectors() {
    for (String text : VariedTexts.all()) {
      assertThat(narrow.embed(text)).as(ParityTest.abbreviate(text)).containsExactly(wide.embed(text));
    }
  }

  @Test
  void parallelFrontGivesBitIdenticalVectorsWhateverRunsBesideIt() {
    List<String> texts = VariedTexts.all();
    float[][] expected = new float[texts.size()][];
    for (int i = 0; i < texts.size(); i++) {
      expected[i] = wide.embed(texts.get(i));
    }
    try (ParallelEmbedder front = ParallelEmbedder.open(
        ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), new ParallelOptions(2, 4096))) {
      List<Integer> order = new ArrayList<>();
      for (int rep = 0; rep < 5; rep++) {
        for (int i = 0; i < texts.size(); i++) {
          order.add(i);
        }
      }
      Collections.shuffle(order, new Random(7));
      List<CompletableFuture<float[]>> futures = new ArrayList<>();
      for (int i : order) {
        futures.add(front.embedAsync(texts.get(i)));
      }
      for (int k = 0; k < order.size(); k++) {
        int i = order.get(k);
        assertThat(futures.get(k).join()).as(ParityTest.abbreviate(texts.get(i))).containsExactly(expected[i]);
      }
      // one lone request afterwards runs on the wide session and agrees too
      assertThat(front.embed(texts.get(0))).containsExactly(expected[0]);
      assertThat(front.narrowRunCount()).as("narrow runs under load").isPositive();
      assertThat(front.wideRunCount()).as("wide runs when idle").isPositive();
    }
  }
}
