package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link EntryStore} must do. Implementations extend this and add what is special to them. */
abstract class EntryStoreContractTest {
  @TempDir
  Path dir;
  EntryStore store;

  /** Opens (or reopens) the store kept in {@code dir}. */
  abstract EntryStore open(Path dir);

  @BeforeEach
  void openStore() {
    store = open(dir);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  void reopen() {
    store.close();
    store = open(dir);
  }

  static Entry entry(String id, String ns, Scope scope, String prompt, long created, long ttl) {
    float[] v = new float[384];
    v[Math.floorMod(prompt.hashCode(), 384)] = 1;
    return new Entry(id, ns, scope, prompt, "answer to " + prompt, v, created, ttl, created + ttl, 0, created,
        Map.of("source", "test"));
  }

  @Test
  void storesAndReadsBackEveryField() {
    Scope scope = Scope.of(Map.of("model", "gpt-4o", "temperature", "0"));
    Entry e = new Entry("e1", "faq", scope, "Ünïcödé prompt 😀\n", "{\"json\": [1, 2]}",
        TestVectors.of("How do I reset my password?"), 1000, 5000, 6000, 3, 2000, Map.of("k", "v", "é", "ü"));
    long seq = store.put(e);
    assertThat(seq).isEqualTo(store.lastSequence()).isPositive();
    Entry back = store.get("e1").orElseThrow();
    assertThat(back).usingRecursiveComparison().isEqualTo(e);
    reopen();
    assertThat(store.get("e1").orElseThrow()).usingRecursiveComparison().isEqualTo(e);
    assertThat(store.lastSequence()).isEqualTo(seq);
  }

  @Test
  void exactKeyFindsTheEntryAndSamePromptReplacesIt() {
    Entry first = entry("a", "faq", Scope.EMPTY, "How do I reset my password?", 0, 1000);
    store.put(first);
    byte[] key = Keys.exact("faq", Scope.EMPTY, "  How do I   reset my password?  ");
    assertThat(store.exactId(key)).contains("a");
    Entry second = entry("b", "faq", Scope.EMPTY, "How do I reset my password?", 10, 1000);
    store.put(second);
    assertThat(store.exactId(key)).contains("b");
    assertThat(store.get("a")).isEmpty();
    assertThat(store.count("faq")).isEqualTo(1);
  }

  @Test
  void exactKeysAreSeparateAcrossNamespacesAndScopes() {
    store.put(entry("a", "one", Scope.EMPTY, "same prompt", 0, 1000));
    store.put(entry("b", "two", Scope.EMPTY, "same prompt", 0, 1000));
    store.put(entry("c", "one", Scope.of(Map.of("model", "x")), "same prompt", 0, 1000));
    assertThat(store.exactId(Keys.exact("one", Scope.EMPTY, "same prompt"))).contains("a");
    assertThat(store.exactId(Keys.exact("two", Scope.EMPTY, "same prompt"))).contains("b");
    assertThat(store.exactId(Keys.exact("one", Scope.of(Map.of("model", "x")), "same prompt"))).contains("c");
    assertThat(store.exactId(Keys.exact("one", Scope.of(Map.of("model", "y")), "same prompt"))).isEmpty();
  }

  @Test
  void removeTakesEveryKeyAlong() {
    store.put(entry("a", "faq", Scope.EMPTY, "p", 0, 1000));
    long seq = store.remove("a");
    assertThat(seq).isEqualTo(store.lastSequence());
    assertThat(store.get("a")).isEmpty();
    assertThat(store.exactId(Keys.exact("faq", Scope.EMPTY, "p"))).isEmpty();
    assertThat(store.expiredAt(Long.MAX_VALUE, 10)).isEmpty();
    assertThat(store.leastRecentlyHit("faq", 10)).isEmpty();
    assertThat(store.count("faq")).isZero();
    assertThat(store.bytes()).isZero();
    assertThat(store.remove("a")).isEqualTo(-1);
  }

  @Test
  void expiryOrderIsEarliestFirstAndBoundedByNow() {
    store.put(entry("late", "faq", Scope.EMPTY, "p1", 0, 3000));
    store.put(entry("early", "faq", Scope.EMPTY, "p2", 0, 1000));
    store.put(entry("mid", "faq", Scope.EMPTY, "p3", 0, 2000));
    assertThat(store.expiredAt(999, 10)).isEmpty();
    assertThat(store.expiredAt(2000, 10)).containsExactly("early", "mid");
    assertThat(store.expiredAt(5000, 1)).containsExactly("early");
  }

  @Test
  void recencyFollowsHitsPerNamespaceAndGlobally() {
    store.put(entry("a", "one", Scope.EMPTY, "p1", 0, 10_000));
    store.put(entry("b", "one", Scope.EMPTY, "p2", 10, 10_000));
    store.put(entry("c", "two", Scope.EMPTY, "p3", 20, 10_000));
    assertThat(store.leastRecentlyHit("one", 10)).containsExactly("a", "b");
    store.updateStats("a", new EntryStats(10_000, 1, 500));
    assertThat(store.leastRecentlyHit("one", 10)).containsExactly("b", "a");
    assertThat(store.leastRecentlyHit(null, 10)).containsExactly("b", "c", "a");
    assertThat(store.get("a").orElseThrow().hitCount()).isEqualTo(1);
  }

  @Test
  void slidingExpiryMovesTheExpiryKey() {
    store.put(entry("a", "one", Scope.EMPTY, "p1", 0, 1000));
    store.updateStats("a", new EntryStats(5000, 1, 900));
    assertThat(store.expiredAt(1000, 10)).isEmpty();
    assertThat(store.expiredAt(5000, 10)).containsExactly("a");
  }

  @Test
  void countsAndBytesSurviveReopen() {
    store.put(entry("a", "one", Scope.EMPTY, "p1", 0, 1000));
    store.put(entry("b", "one", Scope.EMPTY, "p2", 0, 1000));
    store.put(entry("c", "two", Scope.EMPTY, "p3", 0, 1000));
    long bytes = store.bytes();
    assertThat(bytes).isPositive();
    reopen();
    assertThat(store.count("one")).isEqualTo(2);
    assertThat(store.count("two")).isEqualTo(1);
    assertThat(store.count()).isEqualTo(3);
    assertThat(store.bytes()).isEqualTo(bytes);
  }

  @Test
  void changeLogListsWritesInOrderUntilTrimmed() {
    long s1 = store.put(entry("a", "one", Scope.EMPTY, "p1", 0, 1000));
    long s2 = store.put(entry("b", "one", Scope.EMPTY, "p2", 0, 1000));
    long s3 = store.remove("a");
    assertThat(store.changesAfter(0, 10)).containsExactly(
        new Change(s1, true, "a"), new Change(s2, true, "b"), new Change(s3, false, "a"));
    assertThat(store.changesAfter(s1, 1)).containsExactly(new Change(s2, true, "b"));
    store.trimChangesThrough(s2);
    assertThat(store.changesAfter(0, 10)).containsExactly(new Change(s3, false, "a"));
  }

  @Test
  void forEachEntrySeesEveryEntry() {
    for (int i = 0; i < 50; i++) {
      store.put(entry("id" + i, "one", Scope.EMPTY, "prompt " + i, 0, 1000));
    }
    List<String> seen = new java.util.ArrayList<>();
    store.forEachEntry(e -> seen.add(e.id()));
    assertThat(seen).hasSize(50).contains("id0", "id49");
  }

  @Test
  void namespaceConfigsRoundTrip() {
    assertThat(store.namespace("faq")).isEmpty();
    NamespaceConfig c = NamespaceConfig.defaults().withThreshold(0.87).withMaxEntries(42);
    store.putNamespace("faq", c);
    store.putNamespace("alpha", NamespaceConfig.defaults());
    reopen();
    assertThat(store.namespace("faq")).contains(c);
    assertThat(store.namespaces()).containsExactly("alpha", "faq");
  }

  @Test
  void invalidNamespaceIsRefusedAndChangesNothing() {
    assertThatThrownBy(() -> store.put(entry("a", "bad/ns", Scope.EMPTY, "p", 0, 1000)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("namespace must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit;"
            + " namespace='bad/ns'");
    assertThat(store.count()).isZero();
    assertThat(store.lastSequence()).isZero();
  }

  @Test
  void scopeOrderDoesNotMatter() {
    TreeMap<String, String> a = new TreeMap<>(Map.of("b", "2", "a", "1"));
    assertThat(Keys.exact("n", Scope.of(a), "p")).isEqualTo(Keys.exact("n", Scope.of(Map.of("a", "1", "b", "2")), "p"));
    assertThat(Keys.partition("n", Scope.of(Map.of("a", "1b"))))
        .as("length prefixes keep ('a','1b') apart from ('a1','b')")
        .isNotEqualTo(Keys.partition("n", Scope.of(Map.of("a1", "b"))));
  }
}
