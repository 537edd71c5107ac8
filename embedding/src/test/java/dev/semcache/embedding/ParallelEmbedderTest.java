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

  /** A tenant's flood of 200 texts does not delay another tenant's few: they are served in turn. */
  @Test
  void aFloodingTenantDoesNotDelayAnotherTenantsTexts() {
    try (ParallelEmbedder e = ParallelEmbedder.open(
        ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), new ParallelOptions(2, 1024))) {
      List<String> done = java.util.Collections.synchronizedList(new ArrayList<>());
      List<CompletableFuture<float[]>> all = new ArrayList<>();
      // tokenized first, so that the submissions follow each other closely
      List<TokenizedText> bulk = new ArrayList<>();
      for (int i = 0; i < 200; i++) {
        bulk.add(e.tokenize("bulk text number " + i));
      }
      List<TokenizedText> chat = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        chat.add(e.tokenize("chat question " + i));
      }
      for (int i = 0; i < 200; i++) {
        String name = "bulk-" + i;
        all.add(e.submit("bulk", bulk.get(i)).whenComplete((v, t) -> done.add(name)));
      }
      // what was served while the flood went in (many on a busy machine) is not the queue's doing
      int servedBefore = done.size();
      for (int i = 0; i < 5; i++) {
        String name = "chat-" + i;
        all.add(e.submit("chat", chat.get(i)).whenComplete((v, t) -> done.add(name)));
      }
      all.forEach(CompletableFuture::join);
      int lastChat = 0;
      for (int i = 0; i < done.size(); i++) {
        if (done.get(i).startsWith("chat")) {
          lastChat = i;
        }
      }
      // in turn: chat's 5 go within the next 2 x 5 served, plus what the workers had started
      // (first-come first-served would put them after the whole flood, near 200)
      assertThat(lastChat - servedBefore).as("completion order %s, %d served before the chat texts went in",
          done.subList(0, Math.min(done.size(), servedBefore + 20)), servedBefore).isLessThan(15);
    }
  }

  /** A text whose expected wait exceeds max_wait is refused at once instead of answering late. */
  @Test
  void aTextThatWouldWaitTooLongIsShedAtOnce() {
    try (ParallelEmbedder e = ParallelEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(),
        new ParallelOptions(1, 1024, java.time.Duration.ofMillis(1)))) {
      List<CompletableFuture<float[]>> accepted = new ArrayList<>();
      int shed = 0;
      for (int i = 0; i < 50; i++) {
        try {
          accepted.add(e.submit("t", e.tokenize("text number " + i)));
        } catch (EmbedderOverloadedException ex) {
          assertThat(ex.getMessage()).contains("expected wait").contains("embedding.max_wait_ms");
          shed++;
        }
      }
      assertThat(shed).isGreaterThanOrEqualTo(45);
      accepted.forEach(f -> assertThat(f.join()).hasSize(384));
    }
  }
}
