package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link CompactionPolicy} and {@link IndexCompactor}: an index merges itself down once it is large,
 * split into many sizeable segments and quiet; not while writes go on; and a storage closed in the middle
 * of a merge loses nothing.
 */
class IndexCompactorTest {
  private static final int DIM = 64;
  private static final long NOW = 1_000_000L;

  @TempDir
  Path dir;

  private final SplittableRandom random = new SplittableRandom(5);

  private float[] unit() {
    return TestVectors.random(random, DIM);
  }

  // ---------------------------------------------------------------- the policy

  @Test
  void policyCountsOnlySizeableSegmentsOfALargeEnoughIndex() {
    CompactionPolicy p = new CompactionPolicy(2, 1_000, Duration.ofSeconds(1));
    assertThat(p.due(new int[] {400, 300, 300})).as("three sizeable segments, 1,000 entries").isTrue();
    assertThat(p.due(new int[] {400, 300, 299})).as("999 entries: below the minimum").isFalse();
    assertThat(p.due(new int[] {500, 500})).as("already two segments").isFalse();
    assertThat(p.due(new int[] {50_000, 50_000, 900, 900, 900, 900})).as("a trickle after a compaction: < 1% each")
        .isFalse();
    assertThat(p.due(new int[] {50_000, 50_000, 2_000})).as("a third segment of 2%").isTrue();
    assertThat(CompactionPolicy.off().due(new int[] {400_000, 300_000, 300_000})).isFalse();
    assertThat(CompactionPolicy.defaults().due(new int[] {110_000, 110_000, 110_000, 110_000, 110_000, 110_000,
        110_000, 110_000, 110_000})).as("the nine segments Lucene leaves at a million entries").isTrue();
  }

  @Test
  void policyRejectsBadSettingsNamingThem() {
    assertThatThrownBy(() -> new CompactionPolicy(-1, 0, Duration.ofSeconds(1))).hasMessageContaining("segments=-1");
    assertThatThrownBy(() -> new CompactionPolicy(2, -5, Duration.ofSeconds(1))).hasMessageContaining("min_entries=-5");
    assertThatThrownBy(() -> new CompactionPolicy(2, 0, Duration.ZERO)).hasMessageContaining("idle=PT0S");
  }

  // ---------------------------------------------------------------- the compactor on an index

  /** Writes {@code segments} batches of {@code perSegment} entries, committing after each (one segment each). */
  private List<float[]> fill(LuceneVectorIndex index, int segments, int perSegment) {
    List<float[]> vectors = new ArrayList<>();
    for (int s = 0; s < segments; s++) {
      for (int i = 0; i < perSegment; i++) {
        float[] v = unit();
        index.upsert("e" + vectors.size(), "p", NOW + 1_000_000, v);
        vectors.add(v);
      }
      index.commit(vectors.size());
    }
    index.refresh();
    return vectors;
  }

  private static void awaitIdle(IndexCompactor compactor) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (compactor.running()) {
      assertThat(System.nanoTime()).as("the merge ends within 60 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void mergesAQuietIndexOnTheSecondCheckAndFindsTheSameNeighbours() throws Exception {
    try (LuceneVectorIndex index = LuceneVectorIndex.open(dir, VectorFormat.FLOAT, 16, 100, 32)) {
      List<float[]> vectors = fill(index, 6, 100);
      assertThat(index.segmentCount()).isGreaterThan(2);
      IndexCompactor compactor = new IndexCompactor(index, new CompactionPolicy(2, 500, Duration.ofSeconds(1)));
      try {
        assertThat(compactor.check()).as("the first check only notes the change count").isFalse();
        assertThat(compactor.check()).as("nothing changed since: quiet, and due").isTrue();
        awaitIdle(compactor);
        assertThat(compactor.compactions()).isEqualTo(1);
        assertThat(index.segmentCount()).isLessThanOrEqualTo(2);
        assertThat(index.size()).isEqualTo(vectors.size());
        for (int i = 0; i < vectors.size(); i += 7) {
          assertThat(index.search("p", vectors.get(i), 1, NOW).getFirst().entryId()).isEqualTo("e" + i);
        }
        assertThat(compactor.check()).as("two segments: nothing left to do").isFalse();
      } finally {
        compactor.stop();
      }
    }
  }

  @Test
  void doesNotMergeASmallIndexNorWhileWritesGoOn() throws Exception {
    try (LuceneVectorIndex index = LuceneVectorIndex.open(dir, VectorFormat.FLOAT, 16, 100, 32)) {
      fill(index, 6, 100);
      IndexCompactor small = new IndexCompactor(index, new CompactionPolicy(2, 601, Duration.ofSeconds(1)));
      IndexCompactor busy = new IndexCompactor(index, new CompactionPolicy(2, 500, Duration.ofSeconds(1)));
      try {
        small.check();
        assertThat(small.check()).as("quiet and split, but 600 entries < 601").isFalse();
        busy.check();
        for (int round = 0; round < 5; round++) {
          index.upsert("w" + round, "p", NOW + 1_000_000, unit());
          assertThat(busy.check()).as("a store came since the previous check (round %d)", round).isFalse();
        }
        index.delete("w0");
        assertThat(busy.check()).as("a removal is a change too").isFalse();
        index.refresh();
        assertThat(busy.check()).as("quiet since the previous check").isTrue();
        awaitIdle(busy);
        assertThat(busy.compactions()).isEqualTo(1);
        assertThat(small.compactions()).isZero();
      } finally {
        small.stop();
        busy.stop();
      }
    }
  }

  // ---------------------------------------------------------------- the storage

  private static StorageOptions options(CompactionPolicy policy) {
    StorageOptions d = StorageOptions.defaults();
    return new StorageOptions(DIM, d.maxEntries(), d.maxBytes(), 8L << 20, false, VectorFormat.FLOAT, 16, 100, 32,
        Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1), policy);
  }

  @Test
  void aServedStorageCompactsOnItsOwnOnceQuiet() throws Exception {
    List<float[]> vectors = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    try (EmbeddedCacheStorage storage = EmbeddedCacheStorage.open(dir,
        options(new CompactionPolicy(2, 300, Duration.ofMillis(200))), InstantSource.system())) {
      for (int s = 0; s < 6; s++) {
        for (int i = 0; i < 60; i++) {
          float[] v = unit();
          entries.add(storage.store("faq", Scope.EMPTY, "prompt " + vectors.size(), "answer " + vectors.size(), v, null,
              Map.of()));
          vectors.add(v);
        }
        storage.commitIndex();
      }
      storage.refreshIndex();
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (storage.indexCompactions() == 0 || storage.compacting()) {
        assertThat(System.nanoTime()).as("compacted within 60 s of going quiet").isLessThan(deadline);
        Thread.sleep(20);
      }
      assertThat(storage.indexSegments().getAsInt()).isLessThanOrEqualTo(2);
      for (int i = 0; i < vectors.size(); i += 5) {
        assertThat(storage.findNearest("faq", Scope.EMPTY, vectors.get(i), 1).getFirst().entry().id())
            .isEqualTo(entries.get(i).id());
      }
    }
  }

  @Test
  void closingDuringAMergeLosesNoEntry() throws Exception {
    List<float[]> vectors = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    CompactionPolicy policy = new CompactionPolicy(2, 1_000, Duration.ofMillis(100));
    EmbeddedCacheStorage storage = EmbeddedCacheStorage.open(dir, options(policy), InstantSource.system());
    try {
      for (int s = 0; s < 8; s++) {
        for (int i = 0; i < 1_500; i++) {
          float[] v = unit();
          entries.add(storage.store("faq", Scope.EMPTY, "prompt " + vectors.size(), "a", v, null, Map.of()));
          vectors.add(v);
        }
        storage.commitIndex();
      }
      storage.refreshIndex();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!storage.compacting() && storage.indexCompactions() == 0) {
        assertThat(System.nanoTime()).as("a merge starts within 30 s").isLessThan(deadline);
        Thread.sleep(5);
      }
    } finally {
      storage.close(); // most likely in the middle of the merge: aborts it
    }
    try (EmbeddedCacheStorage reopened = EmbeddedCacheStorage.open(dir, options(CompactionPolicy.off()),
        InstantSource.system())) {
      assertThat(reopened.entryCount()).isEqualTo(vectors.size());
      assertThat(reopened.indexedCount()).isEqualTo(vectors.size());
      for (int i = 0; i < vectors.size(); i += 97) {
        assertThat(reopened.findNearest("faq", Scope.EMPTY, vectors.get(i), 1).getFirst().entry().id())
            .isEqualTo(entries.get(i).id());
      }
    }
  }
}
