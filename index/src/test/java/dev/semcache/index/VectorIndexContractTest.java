package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link VectorIndex} must do, on real embeddings. */
abstract class VectorIndexContractTest {
  static final long NOW = 1_000_000;
  static final String P1 = Keys.partition("faq", Scope.EMPTY);
  static final String P2 = Keys.partition("other", Scope.EMPTY);

  @TempDir
  Path dir;
  VectorIndex index;

  abstract VectorIndex open(Path dir) throws Exception;

  /** The similarity error this implementation allows itself (quantized formats approximate). */
  abstract float tolerance();

  @BeforeEach
  void openIndex() throws Exception {
    index = open(dir);
  }

  @AfterEach
  void closeIndex() {
    index.close();
  }

  void addAll(String partition, String prefix) {
    for (int i = 0; i < TestVectors.PROMPTS.size(); i++) {
      index.upsert(prefix + i, partition, NOW + 1000, TestVectors.of(TestVectors.PROMPTS.get(i)));
    }
  }

  @Test
  void nearestIsTheParaphraseWithItsCosine() {
    addAll(P1, "e");
    index.refresh();
    float[] q = TestVectors.of("How can I reset my password?");
    List<Neighbor> top = index.search(P1, q, 3, NOW);
    assertThat(top).hasSize(3);
    assertThat(top.get(0).entryId()).isEqualTo("e1");
    assertThat(top.get(0).similarity()).isCloseTo(1f, org.assertj.core.data.Offset.offset(tolerance()));
    assertThat(top.get(1).entryId()).isIn("e0", "e2");
    float expected = dev.semcache.embedding.Vectors.dot(q, TestVectors.of(TestVectors.PROMPTS.get(0)));
    Neighbor e0 = top.stream().filter(n -> n.entryId().equals("e0")).findFirst().orElseThrow();
    assertThat(e0.similarity()).isCloseTo(expected, org.assertj.core.data.Offset.offset(tolerance()));
    assertThat(top.get(0).similarity()).isGreaterThanOrEqualTo(top.get(1).similarity());
  }

  @Test
  void searchStaysInsideThePartition() {
    addAll(P1, "a");
    index.upsert("b-exact", P2, NOW + 1000, TestVectors.of("How can I reset my password?"));
    index.refresh();
    List<Neighbor> inP1 = index.search(P1, TestVectors.of("How can I reset my password?"), 50, NOW);
    assertThat(inP1).hasSize(TestVectors.PROMPTS.size()).noneMatch(n -> n.entryId().startsWith("b"));
    assertThat(index.search(P2, TestVectors.of("What are your opening hours?"), 50, NOW))
        .extracting(Neighbor::entryId).containsExactly("b-exact");
    assertThat(index.search(Keys.partition("faq", Scope.of(Map.of("model", "x"))),
        TestVectors.of("How can I reset my password?"), 5, NOW)).isEmpty();
  }

  @Test
  void expiredEntriesAreFilteredOut() {
    index.upsert("old", P1, NOW, TestVectors.of("How do I reset my password?"));
    index.upsert("new", P1, NOW + 1, TestVectors.of("What are your opening hours?"));
    index.refresh();
    assertThat(index.search(P1, TestVectors.of("How do I reset my password?"), 5, NOW))
        .extracting(Neighbor::entryId).containsExactly("new");
    assertThat(index.search(P1, TestVectors.of("How do I reset my password?"), 5, NOW - 1))
        .extracting(Neighbor::entryId).containsExactly("old", "new");
  }

  @Test
  void upsertReplacesAndDeleteRemoves() {
    index.upsert("x", P1, NOW + 1000, TestVectors.of("How do I reset my password?"));
    index.upsert("x", P1, NOW + 1000, TestVectors.of("Do you ship to Canada?"));
    index.upsert("y", P1, NOW + 1000, TestVectors.of("What is the capital of Mongolia?"));
    index.refresh();
    assertThat(index.size()).isEqualTo(2);
    List<Neighbor> top = index.search(P1, TestVectors.of("Do you ship to Canada?"), 1, NOW);
    assertThat(top.get(0).entryId()).isEqualTo("x");
    index.delete("x");
    index.delete("never-there");
    index.refresh();
    assertThat(index.search(P1, TestVectors.of("Do you ship to Canada?"), 5, NOW))
        .extracting(Neighbor::entryId).containsExactly("y");
  }

  @Test
  void commitRecordsTheStoreSequenceDurably() throws Exception {
    assertThat(index.committedSequence()).isZero();
    addAll(P1, "e");
    index.commit(42);
    assertThat(index.committedSequence()).isEqualTo(42);
    index.close();
    index = open(dir);
    assertThat(index.committedSequence()).isEqualTo(42);
    assertThat(index.size()).isEqualTo(TestVectors.PROMPTS.size());
  }

  @Test
  void notVisibleBeforeRefresh() {
    index.upsert("x", P1, NOW + 1000, TestVectors.of("How do I reset my password?"));
    assertThat(index.search(P1, TestVectors.of("How do I reset my password?"), 1, NOW)).isEmpty();
    index.refresh();
    assertThat(index.search(P1, TestVectors.of("How do I reset my password?"), 1, NOW)).hasSize(1);
  }
}
