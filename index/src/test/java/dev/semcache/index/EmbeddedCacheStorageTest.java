package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link EmbeddedCacheStorage}: the {@link CacheStorageContractTest contract}, plus what is special to
 * RocksDB and Lucene in one directory: background refresh, batched hit writes, re-indexing after TTL
 * changes, and recovery of a missing or damaged index from the store.
 */
class EmbeddedCacheStorageTest extends CacheStorageContractTest {
  @TempDir
  Path dir;
  @TempDir
  Path pristine;

  @Override
  protected CacheStorage openEmpty(StorageOptions options, ManualClock clock) {
    return EmbeddedCacheStorage.open(dir, options, clock);
  }

  @Override
  protected CacheStorage reopen(CacheStorage current, StorageOptions options, ManualClock clock) {
    current.close();
    return EmbeddedCacheStorage.open(dir, options, clock);
  }

  private EmbeddedCacheStorage embedded() {
    return (EmbeddedCacheStorage) storage;
  }

  @Test
  void backgroundRefreshMakesEntriesVisibleWithinTheInterval() throws Exception {
    storage.close();
    storage = EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), clock);
    put("faq", Scope.EMPTY, "How do I reset my password?");
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (storage.findNearest("faq", Scope.EMPTY, TestVectors.of("How can I reset my password?"), 1).isEmpty()) {
      assertThat(System.nanoTime()).as("visible within 5 s (refresh interval 100 ms)").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void hitsAreSeenAtOnceAndWrittenInBatchesThatSurviveReopen() {
    Entry e = put("faq", Scope.EMPTY, "p");
    for (int i = 0; i < 5; i++) {
      storage.recordHit(storage.findExact("faq", Scope.EMPTY, "p").orElseThrow());
    }
    assertThat(storage.get("faq", e.id()).orElseThrow().hitCount()).as("reads overlay pending hits").isEqualTo(5);
    assertThat(embedded().store().get(e.id()).orElseThrow().hitCount()).as("not written yet").isZero();
    storage.flushHits();
    assertThat(embedded().store().get(e.id()).orElseThrow().hitCount()).isEqualTo(5);
    storage.recordHit(storage.get("faq", e.id()).orElseThrow());
    storage.close();
    storage = EmbeddedCacheStorage.open(dir, OPTIONS, clock);
    assertThat(storage.get("faq", e.id()).orElseThrow().hitCount()).as("close writes pending hits").isEqualTo(6);
  }

  /** Entries stored before a namespace switched to a sliding TTL are found by semantic search past their first expiry. */
  @Test
  void switchingToASlidingTtlReindexesExistingEntries() {
    storage.putConfig("faq", NamespaceConfig.defaults().withTtl(100, 250, false));
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    storage.refreshIndex();
    storage.putConfig("faq", NamespaceConfig.defaults().withTtl(100, 250, true));
    assertThat(embedded().reindexExpiries("faq")).isEqualTo(1);
    storage.refreshIndex();
    clock.advance(Duration.ofSeconds(90));
    storage.recordHit(storage.findExact("faq", Scope.EMPTY, e.prompt()).orElseThrow());
    clock.advance(Duration.ofSeconds(60)); // 150 s: past the first expiry (100 s), inside the renewed one (190 s)
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 1)).hasSize(1);
  }

  @Test
  void deletedIndexIsRebuiltFromTheStoreAndAnswersAsBefore() throws IOException {
    for (String p : TestVectors.PROMPTS) {
      put("faq", Scope.EMPTY, p);
    }
    storage.refreshIndex();
    List<List<String>> before = answers();
    storage.close();
    Directories.deleteRecursively(dir.resolve("index"));
    storage = EmbeddedCacheStorage.open(dir, OPTIONS, clock);
    assertThat(storage.indexedCount()).isEqualTo(TestVectors.PROMPTS.size());
    assertThat(answers()).isEqualTo(before);
  }

  /** Each file of the index in turn, cut to half its length: detected, rebuilt, same answers. */
  @Test
  void truncatedIndexFileIsDetectedAndTheIndexRebuilt() throws IOException {
    for (String p : TestVectors.PROMPTS) {
      put("faq", Scope.EMPTY, p);
    }
    storage.refreshIndex();
    List<List<String>> before = answers();
    storage.close();
    copyRecursively(dir, pristine);
    List<String> files;
    try (Stream<Path> s = Files.list(dir.resolve("index"))) {
      files = s.map(f -> f.getFileName().toString()).filter(f -> !f.equals("write.lock")).sorted().toList();
    }
    assertThat(files).as("index files").isNotEmpty();
    for (String file : files) {
      Directories.deleteRecursively(dir);
      copyRecursively(pristine, dir);
      try (FileChannel ch = FileChannel.open(dir.resolve("index").resolve(file), StandardOpenOption.WRITE)) {
        ch.truncate(ch.size() / 2);
      }
      storage = EmbeddedCacheStorage.open(dir, OPTIONS, clock);
      assertThat(storage.indexedCount()).as("entries after truncating %s", file).isEqualTo(TestVectors.PROMPTS.size());
      assertThat(answers()).as("answers after truncating %s", file).isEqualTo(before);
      storage.close();
    }
    storage = EmbeddedCacheStorage.open(dir, OPTIONS, clock);
  }

  static void copyRecursively(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path f : walk.toList()) {
        Path target = to.resolve(from.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(target);
        } else if (!f.getFileName().toString().equals("LOCK")) {
          Files.copy(f, target);
        }
      }
    }
  }

}
