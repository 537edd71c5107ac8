package dev.semcache.storage.opensearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semcache.index.CacheStorage;
import dev.semcache.index.CacheStorageContractTest;
import dev.semcache.index.Entry;
import dev.semcache.index.ManualClock;
import dev.semcache.index.Match;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import dev.semcache.index.StorageUnavailableException;
import dev.semcache.index.TestVectors;
import dev.semcache.opensearch.testcluster.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link OpenSearchCacheStorage} on a real 2-node OpenSearch cluster with the k-NN plugin, one per class:
 * the {@link CacheStorageContractTest contract} (each test under an index prefix of its own), then what
 * only a cluster has: two semcache nodes sharing it, and the loss of an OpenSearch node (run last: it
 * leaves the cluster with one node).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OpenSearchCacheStorageTest extends CacheStorageContractTest {
  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();
  @TempDir
  static Path clusterHome;
  static TestCluster cluster;

  private String prefix;
  private final List<CacheStorage> others = new ArrayList<>();

  @BeforeAll
  static void startCluster() {
    cluster = TestCluster.start(2, clusterHome);
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** Contract tests: no replica (the cluster's resilience is tested below). */
  private OpenSearchOptions clusterOptions(int replicas) {
    return OpenSearchOptions.defaults().withHosts(cluster.liveUrls()).withIndexPrefix(prefix).withLayout(1, replicas);
  }

  @Override
  protected CacheStorage openEmpty(StorageOptions options, ManualClock clock) {
    prefix = "t" + PREFIXES.incrementAndGet() + "-";
    return OpenSearchCacheStorage.open(clusterOptions(0), options, clock);
  }

  @Override
  protected CacheStorage reopen(CacheStorage current, StorageOptions options, ManualClock clock) {
    current.close();
    return OpenSearchCacheStorage.open(clusterOptions(0), options, clock);
  }

  @org.junit.jupiter.api.AfterEach
  void closeOthers() {
    others.forEach(CacheStorage::close);
    others.clear();
  }

  private CacheStorage node(int replicas) {
    CacheStorage s = OpenSearchCacheStorage.open(clusterOptions(replicas), OPTIONS, clock);
    others.add(s);
    return s;
  }

  // ---------------------------------------------------------------- two semcache nodes

  /** Store through node A, semantic hit through node B, invalidate through B, miss through A. */
  @Test
  void aStoreThroughOneNodeIsAHitThroughTheOther() {
    CacheStorage a = storage;
    CacheStorage b = node(0);
    assertThat(a.nodeId()).isNotEqualTo(b.nodeId());
    Scope scope = Scope.of(Map.of("model", "gpt-4o"));
    Entry e = a.store("faq", scope, "How do I reset my password?", "Use the reset link.",
        TestVectors.of("How do I reset my password?"), null, Map.of());
    assertThat(b.findExact("faq", scope, "How do I reset my password?")).contains(e);
    b.refreshIndex();
    List<Match> found = b.findNearest("faq", scope, TestVectors.of("How can I reset my password?"), 1);
    assertThat(found).extracting(m -> m.entry().id()).containsExactly(e.id());
    assertThat(b.invalidate("faq", scope)).isEqualTo(1);
    a.refreshIndex();
    assertThat(a.findExact("faq", scope, "How do I reset my password?")).isEmpty();
    assertThat(a.findNearest("faq", scope, TestVectors.of("How can I reset my password?"), 1)).isEmpty();
  }

  /** Hits counted on two nodes at once add up: no node overwrites the other's count. */
  @Test
  void hitsFromTwoNodesAddUp() {
    CacheStorage a = storage;
    CacheStorage b = node(0);
    Entry e = put("faq", Scope.EMPTY, "p");
    for (int i = 0; i < 7; i++) {
      a.recordHit(a.findExact("faq", Scope.EMPTY, "p").orElseThrow());
      b.recordHit(b.findExact("faq", Scope.EMPTY, "p").orElseThrow());
      b.recordHit(b.findExact("faq", Scope.EMPTY, "p").orElseThrow());
    }
    a.flushHits();
    b.flushHits();
    assertThat(a.get("faq", e.id()).orElseThrow().hitCount()).isEqualTo(21);
  }

  /**
   * Hits go to the entry's hits document: the entries document, with its vector, is never rewritten by
   * them (a scripted update rewrites the document it updates, and on the entries document that re-indexed
   * the vector for every batch of hits).
   */
  @Test
  void hitsNeverRewriteTheEntryDocument() throws Exception {
    storage.putConfig("faq", dev.semcache.index.NamespaceConfig.defaults().withTtl(100, 250, true));
    Entry e = put("faq", Scope.EMPTY, "How do I reset my password?");
    String doc = cluster.liveUrls().get(0) + "/" + prefix + "entries/_doc/" + EntryDocuments.docIdOf(e.id());
    long seqNo = JSON.readTree(cluster.get(doc)).path("_seq_no").asLong();
    clock.advance(Duration.ofSeconds(90));
    for (int i = 0; i < 3; i++) {
      storage.recordHit(storage.findExact("faq", Scope.EMPTY, e.prompt()).orElseThrow());
      storage.flushHits();
    }
    assertThat(JSON.readTree(cluster.get(doc)).path("_seq_no").asLong()).as("entries document untouched").isEqualTo(seqNo);
    CacheStorage other = node(0); // nothing pending there: the figures come from the hits document
    Entry read = other.get("faq", e.id()).orElseThrow();
    assertThat(read.hitCount()).isEqualTo(3);
    assertThat(read.lastHitAtMillis()).isEqualTo(clock.millis());
    assertThat(read.expiresAtMillis()).as("slid: 90 s + 100 s").isEqualTo(e.createdAtMillis() + 190_000);
    clock.advance(Duration.ofSeconds(60)); // 150 s: past the stored 100 s, within the slid 190 s
    other.refreshIndex();
    assertThat(other.findNearest("faq", Scope.EMPTY, e.embedding(), 1)).extracting(m -> m.entry().hitCount())
        .containsExactly(3L);
    assertThat(other.sweep()).isZero();
    clock.advance(Duration.ofSeconds(40)); // 190 s
    assertThat(other.findExact("faq", Scope.EMPTY, e.prompt())).isEmpty();
    assertThat(other.sweep()).isEqualTo(1);
    assertThat(other.entryCount()).isZero();
  }

  /**
   * An entries index of mapping version 1 (hit figures inside the entries documents) is migrated on
   * start: the figures move to the hits index, the version becomes 2, and counting goes on from there.
   */
  @Test
  void aVersionOneIndexIsMigratedOnStart() throws Exception {
    String v1 = "v1-" + prefix;
    OpenSearchOptions os = OpenSearchOptions.defaults().withHosts(cluster.liveUrls()).withIndexPrefix(v1).withLayout(1, 0);
    com.fasterxml.jackson.databind.node.ObjectNode body = IndexMappings.entries(OPTIONS, os);
    com.fasterxml.jackson.databind.node.ObjectNode mappings = (com.fasterxml.jackson.databind.node.ObjectNode) body.get("mappings");
    ((com.fasterxml.jackson.databind.node.ObjectNode) mappings.get("_meta")).put(IndexMappings.META_KEY, 1);
    com.fasterxml.jackson.databind.node.ObjectNode props = (com.fasterxml.jackson.databind.node.ObjectNode) mappings.get("properties");
    props.putObject("hit_count").put("type", "long");
    props.putObject("last_hit_at").put("type", "long");
    String url = cluster.liveUrls().get(0) + "/" + v1 + "entries";
    cluster.put(url, body.toString());
    String prompt = "How do I reset my password?";
    String docId = EntryDocuments.docId("faq", Scope.EMPTY, prompt);
    Entry e = new Entry(EntryDocuments.newId(docId), "faq", Scope.EMPTY, prompt, "Use the reset link.",
        TestVectors.of(prompt), clock.millis() - 5_000, 3_600_000, clock.millis() + 3_595_000, 0, 0, Map.of());
    com.fasterxml.jackson.databind.node.ObjectNode doc = EntryDocuments.entryDoc(e, dev.semcache.index.NamespaceConfig.defaults());
    doc.put("hit_count", 5).put("last_hit_at", clock.millis() - 1_000);
    cluster.put(url + "/_doc/" + docId + "?refresh=true", doc.toString());

    CacheStorage migrated = OpenSearchCacheStorage.open(os, OPTIONS, clock);
    others.add(migrated);
    assertThat(IndexMappings.versionOf(JSON.readTree(cluster.get(url + "/_mapping")))).isEqualTo(IndexMappings.VERSION);
    Entry read = migrated.get("faq", e.id()).orElseThrow();
    assertThat(read.hitCount()).isEqualTo(5);
    assertThat(read.lastHitAtMillis()).isEqualTo(clock.millis() - 1_000);
    migrated.recordHit(read);
    migrated.flushHits();
    migrated.refreshIndex();
    assertThat(migrated.findNearest("faq", Scope.EMPTY, e.embedding(), 1)).extracting(m -> m.entry().hitCount())
        .containsExactly(6L);
    // a second start finds version 2 and changes nothing
    CacheStorage again = OpenSearchCacheStorage.open(os, OPTIONS, clock);
    others.add(again);
    assertThat(again.get("faq", e.id()).orElseThrow().hitCount()).isEqualTo(6);
  }

  /** A config changed through one node reaches the other within its reload interval. */
  @Test
  void namespacesAndTenantsAreSharedButNeverCross() {
    CacheStorage b = node(0);
    storage.putConfig("tenant-a", dev.semcache.index.NamespaceConfig.defaults().withMaxEntries(5));
    assertThat(b.storedConfig("tenant-a")).contains(dev.semcache.index.NamespaceConfig.defaults().withMaxEntries(5));
    assertThat(b.namespaces()).containsExactly("tenant-a");
    Entry a = put("tenant-a", Scope.EMPTY, "How do I reset my password?");
    b.refreshIndex();
    assertThat(b.findNearest("tenant-b", Scope.EMPTY, a.embedding(), 5)).isEmpty();
    assertThat(b.findExact("tenant-b", Scope.EMPTY, a.prompt())).isEmpty();
    assertThat(b.get("tenant-b", a.id())).isEmpty();
    assertThat(b.delete("tenant-b", a.id())).isFalse();
    assertThat(b.findNearest("tenant-a", Scope.EMPTY, a.embedding(), 5)).hasSize(1);
  }

  @Test
  void aNewerMappingVersionIsRefusedAtStart() {
    String index = prefix + "records";
    cluster.put(cluster.liveUrls().get(0) + "/" + index + "/_mapping",
        "{\"_meta\":{\"" + IndexMappings.META_KEY + "\":" + (IndexMappings.VERSION + 1) + "}}");
    assertThatThrownBy(() -> node(0))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("index " + index + " has mapping version " + (IndexMappings.VERSION + 1))
        .hasMessageContaining("upgrade this node");
  }

  // ---------------------------------------------------------------- losing an OpenSearch node (last)

  /**
   * Entries acknowledged by a storage whose indices have one replica survive the loss (SIGKILL) of an
   * OpenSearch node, and both paths keep answering, with the same answers.
   */
  @Test
  @Order(Integer.MAX_VALUE)
  void killingAnOpenSearchNodeLosesNoAcknowledgedEntry() {
    storage.close();
    prefix = "replicated-" + prefix; // indices of their own, with a replica
    storage = node(1);
    others.remove(storage);
    List<Entry> stored = new ArrayList<>();
    for (String p : TestVectors.PROMPTS) {
      stored.add(put("faq", Scope.EMPTY, p));
    }
    cluster.awaitHealthy(2, Duration.ofMinutes(2)); // the replicas are assigned
    storage.refreshIndex();
    List<List<String>> before = answers();
    TestCluster.Node victim = cluster.nonManagerNode();
    victim.kill();
    // a fresh semcache node that knows only the surviving OpenSearch node
    storage.close();
    storage = retrying(() -> OpenSearchCacheStorage.open(clusterOptions(1), OPTIONS, clock));
    for (Entry e : stored) {
      assertThat(retrying(() -> storage.findExact("faq", Scope.EMPTY, e.prompt()))).contains(e);
    }
    assertThat(retrying(this::answers)).isEqualTo(before);
    Entry after = retrying(() -> put("faq", Scope.EMPTY, "stored after the loss"));
    assertThat(storage.get("faq", after.id())).contains(after);
  }

  /** The cluster moves the replica of a lost primary up within seconds; until then a call may be refused. */
  private static <T> T retrying(java.util.function.Supplier<T> call) {
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (true) {
      try {
        return call.get();
      } catch (StorageUnavailableException | dev.semcache.index.StoreException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        try {
          Thread.sleep(500);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }
}
