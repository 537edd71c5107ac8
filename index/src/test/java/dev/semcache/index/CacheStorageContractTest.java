package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link CacheStorage}: every backend extends this class and passes it unchanged, adding
 * only tests of what is special to it (recovery of an embedded index, a cluster losing a node).
 *
 * <p>A subclass says how to open a fresh, empty storage and how to reopen the same data; the tests
 * drive time through a {@link ManualClock} and visibility through {@link CacheStorage#refreshIndex}, so
 * background work must be slow enough not to interfere ({@link #OPTIONS}). Vectors are real embeddings
 * of the default model ({@link TestVectors}).
 */
public abstract class CacheStorageContractTest {
  /** Background work slow enough that the tests drive refresh and sweep themselves. */
  public static final StorageOptions OPTIONS = StorageOptions.defaults()
      .withIntervals(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1));

  protected final ManualClock clock = new ManualClock();
  protected CacheStorage storage;

  /** Opens a new, empty storage with these options and this clock. */
  protected abstract CacheStorage openEmpty(StorageOptions options, ManualClock clock);

  /** Closes {@code current} (already flushed by the caller or not) and opens the same data again. */
  protected abstract CacheStorage reopen(CacheStorage current, StorageOptions options, ManualClock clock);

  @BeforeEach
  void openStorage() {
    storage = openEmpty(OPTIONS, clock);
  }

  @AfterEach
  void closeStorage() {
    if (storage != null) {
      storage.close();
    }
  }

  protected Entry put(String ns, Scope scope, String prompt) {
    return storage.store(ns, scope, prompt, "answer to " + prompt, TestVectors.of(prompt), null, Map.of());
  }

  // ---------------------------------------------------------------- store, exact and nearest

  @Test
  void exactPathIsImmediateAndSemanticPathAfterRefresh() {
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    assertThat(storage.findExact("faq", Scope.EMPTY, "How do I   reset my password? ")).contains(e);
    assertThat(storage.get("faq", e.id())).contains(e);
    storage.refreshIndex();
    List<Match> m = storage.findNearest("faq", Scope.EMPTY, TestVectors.of("How can I reset my password?"), 1);
    assertThat(m).hasSize(1);
    assertThat(m.get(0).entry().id()).isEqualTo(e.id());
    assertThat(m.get(0).similarity()).isGreaterThan(0.9f);
  }

  @Test
  void probeExactNeverAnswersWrong() {
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    CacheStorage.ExactProbe hit = storage.probeExact("faq", Scope.EMPTY, "How do I reset my password?");
    assertThat(hit).isInstanceOfAny(CacheStorage.ExactProbe.Hit.class, CacheStorage.ExactProbe.NeedsIo.class);
    if (hit instanceof CacheStorage.ExactProbe.Hit h) {
      assertThat(h.entry().id()).isEqualTo(e.id());
    }
    assertThat(storage.probeExact("faq", Scope.of(Map.of("model", "x")), "How do I reset my password?"))
        .isNotInstanceOf(CacheStorage.ExactProbe.Hit.class);
    assertThat(storage.probeExact("other", Scope.EMPTY, "How do I reset my password?"))
        .isNotInstanceOf(CacheStorage.ExactProbe.Hit.class);
  }

  @Test
  void nearestIsSortedWithExactSimilarities() {
    for (String p : TestVectors.PROMPTS) {
      put("faq", Scope.EMPTY, p);
    }
    storage.refreshIndex();
    float[] q = TestVectors.of("How can I reset my password?");
    List<Match> m = storage.findNearest("faq", Scope.EMPTY, q, 3);
    assertThat(m).hasSize(3);
    assertThat(m.get(0).entry().prompt()).isEqualTo("How can I reset my password?");
    for (int i = 0; i < m.size(); i++) {
      float exact = org.apache.lucene.util.VectorUtil.dotProduct(q, m.get(i).entry().embedding());
      assertThat(m.get(i).similarity()).isCloseTo(exact, org.assertj.core.data.Offset.offset(1e-5f));
      if (i > 0) {
        assertThat(m.get(i).similarity()).isLessThanOrEqualTo(m.get(i - 1).similarity());
      }
    }
  }

  @Test
  void samePromptReplacesTheEarlierAnswer() {
    Entry first = put("faq", Scope.EMPTY, "p");
    Entry second = storage.store("faq", Scope.EMPTY, "p", "a newer answer", TestVectors.of("p"), null, Map.of());
    assertThat(storage.findExact("faq", Scope.EMPTY, "p")).contains(second);
    assertThat(storage.get("faq", first.id())).isEmpty();
    assertThat(storage.entryCount("faq")).isEqualTo(1);
  }

  @Test
  void storedEntryKeepsEveryField() {
    Map<String, String> meta = Map.of("source", "test", "ticket", "42");
    Scope scope = Scope.of(Map.of("model", "gpt-4o", "user", "u1"));
    Entry e = storage.store("faq", scope, "Où est la gare ? ✓", "{\"a\":1}", TestVectors.of("p"), 120L, meta);
    Entry read = storage.get("faq", e.id()).orElseThrow();
    assertThat(read).isEqualTo(e);
    assertThat(read.scope()).isEqualTo(scope);
    assertThat(read.metadata()).isEqualTo(meta);
    assertThat(read.expiresAtMillis() - read.createdAtMillis()).isEqualTo(120_000);
    assertThat(read.embedding()).containsExactly(TestVectors.of("p"));
  }

  // ---------------------------------------------------------------- isolation

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
    assertThat(storage.findNearest("tenant-a", Scope.EMPTY, q, 10)).as("no scope is a scope of its own").isEmpty();
    assertThat(storage.findExact("tenant-b", llama, prompt)).isEmpty();
    assertThat(storage.get("tenant-b", aGpt.id())).as("an id does not open another namespace").isEmpty();
    assertThat(storage.delete("tenant-b", aGpt.id())).isFalse();
    assertThat(storage.get("tenant-a", aGpt.id())).isPresent();
  }

  /** A namespace whose name is a prefix of another's, and scopes whose keys and values run together. */
  @Test
  void namesThatRunTogetherStayApart() {
    Entry ab = put("ab", Scope.of(Map.of("k", "v")), "p");
    put("a", Scope.of(Map.of("bk", "v")), "p");
    put("ab", Scope.of(Map.of("k", "v2")), "p");
    storage.refreshIndex();
    assertThat(storage.findNearest("ab", Scope.of(Map.of("k", "v")), TestVectors.of("p"), 10))
        .extracting(m -> m.entry().id()).containsExactly(ab.id());
    assertThat(storage.findExact("a", Scope.of(Map.of("k", "v")), "p")).isEmpty();
    assertThat(storage.entryCount("ab")).isEqualTo(2);
    assertThat(storage.entryCount("a")).isEqualTo(1);
  }

  // ---------------------------------------------------------------- lifetimes

  @Test
  void expiredEntryIsNeverServedEvenBeforeASweep() {
    Entry e = storage.store("faq", Scope.EMPTY, "How do I reset my password?", "a",
        TestVectors.of("How do I reset my password?"), 60L, Map.of());
    storage.refreshIndex();
    clock.advance(Duration.ofSeconds(59));
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isPresent();
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 5)).hasSize(1);
    clock.advance(Duration.ofSeconds(1));
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isEmpty();
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 5)).isEmpty();
    assertThat(storage.get("faq", e.id())).isEmpty();
    assertThat(storage.probeExact("faq", Scope.EMPTY, e.prompt())).isNotInstanceOf(CacheStorage.ExactProbe.Hit.class);
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
  void fixedTtlDoesNotMoveOnHit() {
    Entry e = put("faq", Scope.EMPTY, "p");
    Entry hit = storage.recordHit(e);
    assertThat(hit.expiresAtMillis()).isEqualTo(e.expiresAtMillis());
    assertThat(hit.hitCount()).isEqualTo(1);
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
    storage.flushHits();
    storage.refreshIndex();
    Entry stored = storage.get("faq", e.id()).orElseThrow();
    assertThat(stored.expiresAtMillis() - stored.createdAtMillis()).isEqualTo(250_000);
    assertThat(stored.hitCount()).isEqualTo(2);
    clock.advance(Duration.ofSeconds(1)); // 250 s: the cap
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isEmpty();
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 1)).isEmpty();
  }

  @Test
  void hitsAreSeenAtOnceAndSurviveAReopen() {
    Entry e = put("faq", Scope.EMPTY, "p");
    for (int i = 0; i < 5; i++) {
      storage.recordHit(storage.findExact("faq", Scope.EMPTY, "p").orElseThrow());
    }
    assertThat(storage.get("faq", e.id()).orElseThrow().hitCount()).isEqualTo(5);
    storage.recordHit(storage.get("faq", e.id()).orElseThrow());
    storage = reopen(storage, OPTIONS, clock);
    assertThat(storage.get("faq", e.id()).orElseThrow().hitCount()).as("close writes pending hits").isEqualTo(6);
  }

  /** Hits recorded at once from many threads: none is lost. */
  @Test
  void concurrentHitsLoseNoIncrement() throws Exception {
    Entry e = put("faq", Scope.EMPTY, "p");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < 25; i++) {
            storage.recordHit(storage.findExact("faq", Scope.EMPTY, "p").orElseThrow());
          }
        }));
      }
      for (Future<?> f : done) {
        f.get();
      }
    } finally {
      pool.shutdown();
    }
    storage.flushHits();
    assertThat(storage.get("faq", e.id()).orElseThrow().hitCount()).isEqualTo(100);
  }

  // ---------------------------------------------------------------- bounds

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
    assertThat(storage.entryCount("other")).isEqualTo(1);
    assertThat(storage.evictionCount()).isEqualTo(1);
  }

  @Test
  void globalEntryBoundHoldsAcrossNamespaces() {
    storage.close();
    storage = openEmpty(OPTIONS.withLimits(5, Long.MAX_VALUE), clock);
    for (int i = 0; i < 12; i++) {
      put("ns" + (i % 3), Scope.EMPTY, "prompt " + i);
      clock.advance(Duration.ofMillis(10));
    }
    assertThat(storage.entryCount()).isEqualTo(5);
    assertThat(storage.evictionCount()).isEqualTo(7);
  }

  @Test
  void globalByteBoundHolds() {
    storage.close();
    storage = openEmpty(OPTIONS.withLimits(100, 6_000), clock);
    for (int i = 0; i < 6; i++) {
      put("ns" + (i % 2), Scope.EMPTY, "prompt " + i);
      clock.advance(Duration.ofMillis(10));
    }
    assertThat(storage.entryBytes()).isPositive().isLessThanOrEqualTo(6_000);
    assertThat(storage.entryCount()).isLessThan(6);
    assertThat(storage.evictionCount()).isPositive();
  }

  /**
   * Regression: the global bounds evicted the globally least recently hit entry, so one namespace's
   * write key could evict every other namespace's entries by storing fast enough. Under a global bound a
   * writer above its fair share (the total over the number of namespaces) evicts its own entries, and a
   * newcomer takes from the namespace holding the most, never from one within its share.
   */
  @Test
  void oneNamespacesWritesDoNotEvictAnotherWithinItsFairShare() {
    storage.close();
    storage = openEmpty(OPTIONS.withLimits(9, Long.MAX_VALUE), clock);
    storage.putConfig("chat", NamespaceConfig.defaults());
    storage.putConfig("bulk", NamespaceConfig.defaults());
    List<Entry> chat = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      chat.add(put("chat", Scope.EMPTY, "chat question " + i));
      clock.advance(Duration.ofMillis(10));
    }
    for (int i = 0; i < 12; i++) {
      put("bulk", Scope.EMPTY, "bulk prompt " + i);
      clock.advance(Duration.ofMillis(10));
    }
    assertThat(storage.entryCount()).isEqualTo(9);
    assertThat(storage.entryCount("chat")).isEqualTo(3);
    for (Entry e : chat) {
      assertThat(storage.get("chat", e.id())).isPresent();
    }
    // a newcomer takes from the namespace above its fair share (9 / 3 = 3) down to it; chat, within it,
    // still loses nothing, and the newcomer then evicts its own
    storage.putConfig("late", NamespaceConfig.defaults());
    for (int i = 0; i < 6; i++) {
      put("late", Scope.EMPTY, "late prompt " + i);
      clock.advance(Duration.ofMillis(10));
    }
    assertThat(storage.entryCount("chat")).isEqualTo(3);
    assertThat(storage.entryCount("late")).isEqualTo(3);
    assertThat(storage.entryCount("bulk")).isEqualTo(3);
    assertThat(storage.entryCount()).isEqualTo(9);
    assertThat(storage.evictionCount()).isEqualTo(3 + 12 + 6 - 9);
  }

  // ---------------------------------------------------------------- removal

  @Test
  void deleteRemovesFromEveryPath() {
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    storage.refreshIndex();
    assertThat(storage.delete("faq", e.id())).isTrue();
    assertThat(storage.delete("faq", e.id())).isFalse();
    storage.refreshIndex();
    assertThat(storage.get("faq", e.id())).isEmpty();
    assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).isEmpty();
    assertThat(storage.findNearest("faq", Scope.EMPTY, e.embedding(), 5)).isEmpty();
    assertThat(storage.entryCount("faq")).isZero();
  }

  @Test
  void invalidateRemovesOneScopeOfOneNamespace() {
    Scope u1 = Scope.of(Map.of("user", "u1"));
    Scope u2 = Scope.of(Map.of("user", "u2"));
    put("faq", u1, "a");
    put("faq", u1, "b");
    Entry keep = put("faq", u2, "a");
    Entry other = put("other", u1, "a");
    assertThat(storage.invalidate("faq", u1)).isEqualTo(2);
    storage.refreshIndex();
    assertThat(storage.findExact("faq", u1, "a")).isEmpty();
    assertThat(storage.findNearest("faq", u1, TestVectors.of("a"), 5)).isEmpty();
    assertThat(storage.findExact("faq", u2, "a")).contains(keep);
    assertThat(storage.findExact("other", u1, "a")).contains(other);
    assertThat(storage.invalidate("faq", u1)).isZero();
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
    assertThatThrownBy(() -> storage.store("bad/name", Scope.EMPTY, "p", "a", TestVectors.of("p"), null, Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(storage.entryCount()).isZero();
    assertThat(storage.namespaces()).isEmpty();
  }

  // ---------------------------------------------------------------- durability

  @Test
  void entriesSurviveAReopen() {
    List<Entry> stored = new ArrayList<>();
    for (String p : TestVectors.PROMPTS) {
      stored.add(put("faq", Scope.EMPTY, p));
    }
    storage.refreshIndex();
    List<List<String>> before = answers();
    assertThat(before).allSatisfy(row -> assertThat(row).hasSize(3));
    storage = reopen(storage, OPTIONS, clock);
    storage.refreshIndex();
    assertThat(answers()).isEqualTo(before);
    for (Entry e : stored) {
      assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).contains(e);
    }
  }

  // ---------------------------------------------------------------- namespace configs

  @Test
  void configsAreStoredAndListed() {
    assertThat(storage.storedConfig("faq")).isEmpty();
    assertThat(storage.config("faq")).isEqualTo(NamespaceConfig.defaults());
    NamespaceConfig c = NamespaceConfig.defaults().withTtl(100, 1000, true).withMaxEntries(7);
    storage.putConfig("faq", c);
    assertThat(storage.storedConfig("faq")).contains(c);
    assertThat(storage.createConfigIfAbsent("faq", NamespaceConfig.defaults())).as("kept").isEqualTo(c);
    assertThat(storage.createConfigIfAbsent("billing", NamespaceConfig.defaults())).isEqualTo(NamespaceConfig.defaults());
    assertThat(storage.namespaces()).containsExactly("billing", "faq");
    NamespaceConfig changed = c.withMaxEntries(9);
    storage.putConfig("faq", changed);
    assertThat(storage.storedConfig("faq")).contains(changed);
    storage = reopen(storage, OPTIONS, clock);
    assertThat(storage.storedConfig("faq")).contains(changed);
    assertThat(storage.namespaces()).containsExactly("billing", "faq");
  }

  /** Namespaces created at once from many threads (first stores on many nodes): one config wins, no error. */
  @Test
  void concurrentCreatesOfANamespaceAgreeOnOneConfig() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<NamespaceConfig>> made = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        NamespaceConfig c = NamespaceConfig.defaults().withMaxEntries(t + 1);
        made.add(pool.submit(() -> storage.createConfigIfAbsent("faq", c)));
      }
      List<NamespaceConfig> answers = new ArrayList<>();
      for (Future<NamespaceConfig> f : made) {
        answers.add(f.get());
      }
      NamespaceConfig stored = storage.storedConfig("faq").orElseThrow();
      assertThat(answers).as("every creator is told the config in effect").containsOnly(stored);
    } finally {
      pool.shutdown();
    }
    assertThat(storage.namespaces()).containsExactly("faq");
  }

  // ---------------------------------------------------------------- analytics records

  @Test
  void recordsAreWrittenReadListedByPrefixAndRemoved() {
    Map<String, byte[]> batch = new LinkedHashMap<>();
    batch.put("audit/faq/l2", bytes("two"));
    batch.put("audit/faq/l1", bytes("one"));
    batch.put("audit/faqx/l1", bytes("other namespace"));
    batch.put("stats/faq", bytes("{\"n\":1}"));
    storage.putRecords(batch);
    assertThat(storage.record("audit/faq/l1")).hasValueSatisfying(v -> assertThat(text(v)).isEqualTo("one"));
    assertThat(storage.record("audit/faq/l3")).isEmpty();
    assertThat(list("audit/faq/")).containsExactly(Map.entry("audit/faq/l1", "one"), Map.entry("audit/faq/l2", "two"));
    assertThat(list("audit/")).hasSize(3);
    Map<String, byte[]> removal = new HashMap<>();
    removal.put("audit/faq/l1", null);
    removal.put("stats/faq", bytes("{\"n\":2}"));
    storage.putRecords(removal);
    storage = reopen(storage, OPTIONS, clock);
    assertThat(list("audit/faq/")).containsExactly(Map.entry("audit/faq/l2", "two"));
    assertThat(storage.record("stats/faq")).hasValueSatisfying(v -> assertThat(text(v)).isEqualTo("{\"n\":2}"));
  }

  @Test
  void nodeIdIsNotBlank() {
    assertThat(storage.nodeId()).isNotBlank().doesNotContain("/");
  }

  // ---------------------------------------------------------------- helpers

  private List<Map.Entry<String, String>> list(String prefix) {
    List<Map.Entry<String, String>> out = new ArrayList<>();
    storage.forEachRecord(prefix, (k, v) -> out.add(Map.entry(k, text(v))));
    return out;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  /** For every prompt, the ids and similarities of its three nearest entries. */
  protected List<List<String>> answers() {
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
