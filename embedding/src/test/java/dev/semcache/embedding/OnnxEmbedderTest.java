package dev.semcache.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OnnxEmbedderTest {
  private static OnnxEmbedder embedder;

  @BeforeAll
  static void open() {
    embedder = OnnxEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults());
  }

  @AfterAll
  static void close() {
    embedder.close();
  }

  @Test
  void vectorsAreUnitLengthOfTheModelsDimension() {
    float[] v = embedder.embed("How do I reset my password?");
    assertThat(v).hasSize(384);
    assertThat(Vectors.dot(v, v)).isCloseTo(1f, org.assertj.core.data.Offset.offset(1e-5f));
  }

  @Test
  void paraphraseIsCloserThanUnrelatedText() {
    float[] a = embedder.embed("How do I reset my password?");
    float[] b = embedder.embed("How can I reset my password?");
    float[] c = embedder.embed("What is the capital of Mongolia?");
    assertThat(Vectors.dot(a, b)).isGreaterThan(0.9f).isGreaterThan(Vectors.dot(a, c) + 0.5f);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "   ", "\t", "\n", "\r\n", " \t \n ", "\u2003", "\u3000"})
  void blankTextIsRejectedWithAClearMessage(String blank) {
    assertThatThrownBy(() -> embedder.embed(blank))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("text must contain a non-whitespace character; text.length=");
  }

  @Test
  void textWithNoReadableTokenIsRejected() {
    assertThatThrownBy(() -> embedder.embed("\u200b\u200b"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("text has no token the model can read; text.length=2");
  }

  @Test
  void nullIsRejected() {
    assertThatThrownBy(() -> embedder.embed(null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("text must not be null");
  }

  @Test
  void longTextIsTruncatedAtTheModelsLimitAndSaysSo() {
    String longText = VariedTexts.longText(1000);
    TokenizedText t = embedder.tokenize(longText);
    assertThat(t.length()).isEqualTo(256);
    assertThat(t.truncated()).isTrue();
    assertThat(embedder.tokenize("short").truncated()).isFalse();
    // what lies past the limit does not change the vector
    assertThat(embedder.embed(longText)).containsExactly(embedder.embed(longText + " and more words at the end"));
    assertThat(embedder.embed(longText)).containsExactly(embedder.embed(embedder.readPrefix(longText)));
  }

  @Test
  void embedAllKeepsOrderAndMatchesEmbed() {
    List<String> texts = List.of("first text", "a somewhat longer second text", "first text", "third");
    List<float[]> all = embedder.embedAll(texts);
    assertThat(all).hasSize(4);
    for (int i = 0; i < texts.size(); i++) {
      assertThat(all.get(i)).containsExactly(embedder.embed(texts.get(i)));
    }
  }

  @Test
  void runBatchRefusesSequencesOfDifferentLengths() {
    assertThatThrownBy(() -> embedder.runBatch(List.of(embedder.tokenize("one"), embedder.tokenize("one two three"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("a batch needs sequences of one length; lengths 3 and 5");
  }

  @Test
  void closedEmbedderRefusesWork() {
    OnnxEmbedder e = OnnxEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults());
    e.embed("warm");
    e.close();
    e.close(); // idempotent
    assertThatThrownBy(() -> e.embed("after close")).isInstanceOf(IllegalStateException.class)
        .hasMessage("embedder for model all-minilm-l6-v2-q is closed");
  }

  @Test
  void countsInferences() {
    long before = embedder.inferenceCount();
    embedder.embedAll(List.of("alpha", "beta", "alpha"));
    assertThat(embedder.inferenceCount() - before).as("duplicates are computed once").isEqualTo(2);
  }
}
