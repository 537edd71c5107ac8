package dev.semcache.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ParallelEmbedderTest {

  @Test
  void fullQueueRejectsAtOnceInsteadOfWaiting() {
    try (ParallelEmbedder e = ParallelEmbedder.open(
        ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), new ParallelOptions(1, 2))) {
      String longText = VariedTexts.longText(400);
      List<CompletableFuture<float[]>> accepted = new ArrayList<>();
      int rejected = 0;
      for (int i = 0; i < 50; i++) {
        try {
          accepted.add(e.embedAsync(longText + " " + i));
        } catch (EmbedderOverloadedException ex) {
          assertThat(ex).hasMessage("embedding queue is full (2 waiting, 1 workers busy); retry later");
          rejected++;
        }
      }
      assertThat(rejected).isPositive();
      assertThat(e.rejectedCount()).isEqualTo(rejected);
      for (CompletableFuture<float[]> f : accepted) {
        assertThat(f.join()).hasSize(384);
      }
    }
  }

  @Test
  void badTextFailsInTheCallersThread() {
    try (ParallelEmbedder e = ParallelEmbedder.open(
        ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), new ParallelOptions(1, 4))) {
      assertThatThrownBy(() -> e.embedAsync("  ")).isInstanceOf(IllegalArgumentException.class);
      assertThat(e.queueDepth()).isZero();
    }
  }

  @Test
  void closeFinishesQueuedWorkThenRefuses() {
    ParallelEmbedder e = ParallelEmbedder.open(
        ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), new ParallelOptions(2, 64));
    List<CompletableFuture<float[]>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(e.embedAsync("queued text number " + i));
    }
    e.close();
    for (CompletableFuture<float[]> f : futures) {
      assertThat(f.join()).hasSize(384);
    }
    assertThatThrownBy(() -> e.embedAsync("late")).isInstanceOf(IllegalStateException.class)
        .hasMessage("embedder for model all-minilm-l6-v2-q is closed");
  }

  @Test
  void modelsMustMatch() {
    OnnxEmbedder a = OnnxEmbedder.open(ModelSpec.named("all-minilm-l6-v2-q"), OnnxOptions.defaults());
    OnnxEmbedder b = OnnxEmbedder.open(ModelSpec.named("bge-small-en-v15-q"), OnnxOptions.defaults());
    try {
      assertThatThrownBy(() -> new ParallelEmbedder(a, b, ParallelOptions.defaults()))
          .hasMessage("wide and narrow embedders must run the same model; all-minilm-l6-v2-q vs bge-small-en-v15-q");
    } finally {
      a.close();
      b.close();
    }
  }
}
