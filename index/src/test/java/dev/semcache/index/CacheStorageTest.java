package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lifetimes, bounds, isolation and recovery of {@link CacheStorage}, on RocksDB and Lucene. */
class CacheStorageTest {
  /** Background work slow enough that the tests drive refresh, commit and sweep themselves. */
  static final StorageOptions OPTIONS = StorageOptions.defaults()
      .withIntervals(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1));

  @TempDir
  Path dir;
  @TempDir
  Path pristine;
  ManualClock clock = new ManualClock();
  CacheStorage storage;

  @BeforeEach
  void open() {
    storage = CacheStorage.open(dir, OPTIONS, clock);
  }

  @AfterEach
  void close() {
    storage.close();
  }

  Entry put(String ns, Scope scope, String prompt) {
    return storage.store(ns, scope, prompt, "answer to " + prompt, TestVectors.of(prompt), null, Map.of());
  }

  @Test
  void exactPathIsImmediateAndSemanticPathAfterRefresh() {
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    assertThat(storage.findExact("faq", Scope.EMPTY, "How do I   reset my password? ")).contains(e);
    assertThat(storage.findNearest("faq", Scope.EMPTY, TestVectors.of("How can I reset my password?"), 1)).isEmpty();
    storage.refreshIndex();
    List<Match> m = storage.findNearest("faq", Scope.EMPTY, TestVectors.of("How can I reset my password?"), 1);
    assertThat(m).hasSize(1);
    assertThat(m.get(0).entry().id()).isEqualTo(e.id());
    assertThat(m.get(0).similarity()).isGreaterThan(0.9f);
  }

  @Test
  void backgroundRefreshMakesEntriesVisibleWithinTheInterval() throws Exception {
    storage.close();
    storage = CacheStorage.open(dir, StorageOptions.defaults(), clock);
    put("faq", Scope.EMPTY, "How do I reset my password?");
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (storage.findNearest("faq", Scope.EMPTY, TestVectors.of("How can I reset my password?"), 1).isEmpty()) {
      assertThat(System.nanoTime()).as("visible within 5 s (refresh interval 100 ms)").isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void expiredEntryIsNeverServedEvenBeforeASweep() {
    Entry e = storage.store("faq", Scope.EMPTY, "How do I reset my password?", "a",
        TestVectors.of("How do I reset my password?"), 60L, Map.of());
    storage.refreshIndex();
    clock.advance(Duration.ofSeconds(59));
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isPresent();
    clock.advance(Duration.ofSeconds(1));
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isEmpty();
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 5)).isEmpty();
    assertThat(storage.get("faq", e.id())).isEmpty();
    assertThat(storage.entryCount()).isEqualTo(1);
    assertThat(storage.sweep()).isEqualTo(1);
    storage.refreshIndex();
    assertThat(storage.entryCount()).isZero();
    assertThat(storage.indexedCount()).isZero();
    assertThat(storage.expirationCount()).isEqualTo(1);
  }

  @Test
  void ttlComesFromTheNamespaceWithinItsMaximum() {
    storage.putConfig("faq", NamespaceConfig.defaults().withTtl(100, 1000, false));
    Entry e = put("faq", Scope.EMPTY, "p");
    assertThat(e.expiresAtMillis() - e.createdAtMillis()).isEqualTo(100_000);
    assertThatThrownBy(() -> storage.store("faq", Scope.EMPTY, "q", "a", TestVectors.of("q"), 1001L, Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("ttl_s must be between 1 and the namespace's max_ttl_s (1000); ttl_s=1001");
    assertThat(storage.entryCount()).isEqualTo(1);
  }

  @Test
  void slidingTtlRenewsOnHitUpToTheCap() {
    storage.putConfig("faq", NamespaceConfig.defaults().withTtl(100, 250, true));
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    storage.refreshIndex();
    // hits at 90 s and 180 s renew the 100 s TTL: to 190 s, then to 250 s (the cap), not 280 s
    for (int i = 0; i < 2; i++) {
      clock.advance(Duration.ofSeconds(90));
      List<Match> found = storage.findNearest("faq", Scope.EMPTY, e.embedding(), 1);
      assertThat(found).as("live at %d s", 90 * (i + 1)).hasSize(1);
      storage.recordHit(found.get(0).entry());
    }
    clock.advance(Duration.ofSeconds(69)); // 249 s: a fixed TTL would have ended at 100 s
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isPresent();
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 1)).hasSize(1);
    clock.advance(Duration.ofSeconds(1)); // 250 s: the cap
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isEmpty();
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 1)).isEmpty();
    storage.flushHits(); // hits reach the store in batches
    Entry stored = storage.store().get(e.id()).orElseThrow();
    assertThat(stored.expiresAtMillis() - stored.createdAtMillis()).isEqualTo(250_000);
    assertThat(stored.hitCount()).isEqualTo(2);
  }

  @Test
  void hitsAreSeenAtOnceAndWrittenInBatchesThatSurviveReopen() {
    Entry e = put("faq", Scope.EMPTY, "p");
    for (int i = 0; i < 5; i++) {
      storage.recordHit(storage.findExact("faq", Scope.EMPTY, "p").orElseThrow());
    }
    assertThat(storage.get("faq", e.id()).orElseThrow().hitCount()).as("reads overlay pending hits").isEqualTo(5);
    assertThat(storage.store().get(e.id()).orElseThrow().hitCount()).as("not written yet").isZero();
    storage.flushHits();
    assertThat(storage.store().get(e.id()).orElseThrow().hitCount()).isEqualTo(5);
    storage.recordHit(storage.get("faq", e.id()).orElseThrow());
    storage.close();
    storage = CacheStorage.open(dir, OPTIONS, clock);
    assertThat(storage.get("faq", e.id()).orElseThrow().hitCount()).as("close writes pending hits").isEqualTo(6);
  }

  /** Entries stored before a namespace switched to a sliding TTL are found by semantic search past their first expiry. */
  @Test
  void switchingToASlidingTtlReindexesExistingEntries() {
    storage.putConfig("faq", NamespaceConfig.defaults().withTtl(100, 250, false));
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    storage.refreshIndex();
    storage.putConfig("faq", NamespaceConfig.defaults().withTtl(100, 250, true));
    assertThat(storage.reindexExpiries("faq")).isEqualTo(1);
    storage.refreshIndex();
    clock.advance(Duration.ofSeconds(90));
    storage.recordHit(storage.findExact("faq", Scope.EMPTY, e.prompt()).orElseThrow());
    clock.advance(Duration.ofSeconds(60)); // 150 s: past the first expiry (100 s), inside the renewed one (190 s)
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 1)).hasSize(1);
  }

  @Test
  void fixedTtlDoesNotMoveOnHit() {
    Entry e = put("faq", Scope.EMPTY, "p");
    Entry hit = storage.recordHit(e);
    assertThat(hit.expiresAtMillis()).isEqualTo(e.expiresAtMillis());
    assertThat(hit.hitCount()).isEqualTo(1);
  }

  @Test
  void namespaceMaxEntriesEvictsTheLeastRecentlyHit() {
    storage.putConfig("faq", NamespaceConfig.defaults().withMaxEntries(3));
    Entry a = put("faq", Scope.EMPTY, "a");
    clock.advance(Duration.ofSeconds(1));
    Entry b = put("faq", Scope.EMPTY, "b");
    clock.advance(Duration.ofSeconds(1));
    Entry c = put("faq", Scope.EMPTY, "c");
    clock.advance(Duration.ofSeconds(1));
    storage.recordHit(a); // a is now the most recent
    clock.advance(Duration.ofSeconds(1));
    put("other", Scope.EMPTY, "x"); // another namespace does not count
    Entry d = put("faq", Scope.EMPTY, "d");
    assertThat(storage.entryCount("faq")).isEqualTo(3);
    assertThat(storage.get("faq", b.id())).isEmpty();
    assertThat(storage.get("faq", a.id())).isPresent();
    assertThat(storage.get("faq", c.id())).isPresent();
    assertThat(storage.get("faq", d.id())).isPresent();
    assertThat(storage.evictionCount()).isEqualTo(1);
  }

  @Test
  void globalBoundsHoldAcrossNamespaces() {
    storage.close();
    storage = CacheStorage.open(dir, OPTIONS.withLimits(5, Long.MAX_VALUE), clock);
    for (int i = 0; i < 12; i++) {
      put("ns" + (i % 3), Scope.EMPTY, "prompt " + i);
      clock.advance(Duration.ofMillis(10));
    }
    assertThat(storage.entryCount()).isEqualTo(5);
    storage.close();
    storage = CacheStorage.open(dir, OPTIONS.withLimits(100, 6_000), clock);
    put("ns0", Scope.EMPTY, "one more");
    assertThat(storage.entryBytes()).isLessThanOrEqualTo(6_000);
    assertThat(storage.entryCount()).isLessThan(5);
  }

  /**
   * Regression: the global bounds evicted the globally least recently hit entry, so one namespace's
   * write key could evict every other namespace's entries by storing fast enough.
   */
  @Test
  void oneNamespacesWritesDoNotEvictAnotherWithinItsFairShare() {
    storage.close();
    storage = CacheStorage.open(dir, OPTIONS.withLimits(40, Long.MAX_VALUE), clock);
    storage.putConfig("chat", NamespaceConfig.defaults());
    storage.putConfig("bulk", NamespaceConfig.defaults());
    java.util.List<Entry> chat = new java.util.ArrayList<>();
    for (int i = 0; i < 12; i++) {
      chat.add(put("chat", Scope.EMPTY, "chat question " + i));
      clock.advance(Duration.ofMillis(10));
    }
    for (int i = 0; i < 200; i++) {
      put("bulk", Scope.EMPTY, "bulk prompt " + i);
      clock.advance(Duration.ofMillis(10));
    }
    assertThat(storage.entryCount()).isEqualTo(40);
    assertThat(storage.entryCount("chat")).isEqualTo(12);
    for (Entry e : chat) {
      assertThat(storage.get("chat", e.id())).isPresent();
    }
    // a namespace above its fair share gives way to a newcomer, down to the fair share (40 / 3 here);
    // chat, within it, still loses nothing
    storage.putConfig("late", NamespaceConfig.defaults());
    for (int i = 0; i < 30; i++) {
      put("late", Scope.EMPTY, "late prompt " + i);
    }
    assertThat(storage.entryCount("chat")).isEqualTo(12);
    assertThat(storage.entryCount("late")).isBetween(13L, 14L);
    assertThat(storage.entryCount("bulk")).isBetween(14L, 15L);
    assertThat(storage.entryCount()).isEqualTo(40);
  }

  @Test
  void samePromptInTwoNamespacesAndTwoScopesNeverCrosses() {
    String prompt = "How do I reset my password?";
    Scope gpt = Scope.of(Map.of("model", "gpt-4o"));
    Scope llama = Scope.of(Map.of("model", "llama-3"));
    Entry aGpt = put("tenant-a", gpt, prompt);
    Entry aLlama = put("tenant-a", llama, prompt);
    Entry bGpt = put("tenant-b", gpt, prompt);
    storage.refreshIndex();
    float[] q = TestVectors.of(prompt);
    assertThat(storage.findNearest("tenant-a", gpt, q, 10)).extracting(m -> m.entry().id()).containsExactly(aGpt.id());
    assertThat(storage.findNearest("tenant-a", llama, q, 10)).extracting(m -> m.entry().id()).containsExactly(aLlama.id());
    assertThat(storage.findNearest("tenant-b", gpt, q, 10)).extracting(m -> m.entry().id()).containsExactly(bGpt.id());
    assertThat(storage.findNearest("tenant-b", llama, q, 10)).isEmpty();
    assertThat(storage.findNearest("tenant-c", gpt, q, 10)).isEmpty();
    assertThat(storage.findExact("tenant-b", llama, prompt)).isEmpty();
    assertThat(storage.get("tenant-b", aGpt.id())).as("an id does not open another namespace").isEmpty();
    assertThat(storage.delete("tenant-b", aGpt.id())).isFalse();
    assertThat(storage.get("tenant-a", aGpt.id())).isPresent();
  }

  @Test
  void badVectorsAreRefusedAndChangeNothing() {
    assertThatThrownBy(() -> storage.store("faq", Scope.EMPTY, "p", "a", new float[3], null, Map.of()))
        .hasMessage("embedding must have 384 dimensions; dimension=3");
    float[] twice = TestVectors.of("p");
    for (int i = 0; i < twice.length; i++) {
      twice[i] *= 2;
    }
    assertThatThrownBy(() -> storage.store("faq", Scope.EMPTY, "p", "a", twice, null, Map.of()))
        .hasMessageStartingWith("embedding must be unit length; squared norm=");
    assertThat(storage.entryCount()).isZero();
  }

  @Test
  void entriesSurviveAReopen() {
    List<Entry> stored = new ArrayList<>();
    for (String p : TestVectors.PROMPTS) {
      stored.add(put("faq", Scope.EMPTY, p));
    }
    storage.refreshIndex();
    List<List<String>> before = answers();
    assertThat(before).allSatisfy(row -> assertThat(row).hasSize(3));
    storage.close();
    storage = CacheStorage.open(dir, OPTIONS, clock);
    assertThat(answers()).isEqualTo(before);
    for (Entry e : stored) {
      assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).contains(e);
    }
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
    storage = CacheStorage.open(dir, OPTIONS, clock);
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
      storage = CacheStorage.open(dir, OPTIONS, clock);
      assertThat(storage.indexedCount()).as("entries after truncating %s", file).isEqualTo(TestVectors.PROMPTS.size());
      assertThat(answers()).as("answers after truncating %s", file).isEqualTo(before);
      storage.close();
    }
    storage = CacheStorage.open(dir, OPTIONS, clock);
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

  /** For every prompt, the ids and similarities of its three nearest entries. */
  List<List<String>> answers() {
    List<List<String>> out = new ArrayList<>();
    for (String p : TestVectors.PROMPTS) {
      List<String> row = new ArrayList<>();
      for (Match m : storage.findNearest("faq", Scope.EMPTY, TestVectors.of(p), 3)) {
        // 5 decimals: SIMD dot products differ in the last bit between interpreted and compiled code
        row.add(m.entry().id() + "@" + String.format(java.util.Locale.ROOT, "%.5f", m.similarity()));
      }
      out.add(row);
    }
    return out;
  }
}
