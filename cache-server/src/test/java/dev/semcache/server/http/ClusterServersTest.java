package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.ManualClock;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import dev.semcache.index.TestVectors;
import dev.semcache.opensearch.testcluster.TestCluster;
import dev.semcache.server.config.AuditConfig;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.config.OpenSearchConfig;
import dev.semcache.server.config.ServerConfig;
import dev.semcache.server.config.StorageConfig;
import dev.semcache.storage.opensearch.OpenSearchCacheStorage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two real semcache servers ({@code storage.backend: opensearch}) over one real 2-node OpenSearch cluster
 * with the k-NN plugin: what one stores the other serves, what one invalidates the other no longer serves,
 * tenants stay apart, statistics add up across nodes, and a stopped cluster is a 503 that names the cause,
 * never a miss (run last: it stops the cluster).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterServersTest {
  @TempDir
  static Path home;
  static TestCluster cluster;
  static TestServer a;
  static TestServer b;

  @BeforeAll
  static void start() {
    cluster = TestCluster.start(2, home.resolve("cluster"));
    a = new TestServer(config(home.resolve("a")), new ManualClock());
    b = new TestServer(config(home.resolve("b")), new ManualClock());
  }

  @AfterAll
  static void stop() {
    for (AutoCloseable c : new AutoCloseable[] {a, b, cluster}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        e.printStackTrace();
      }
    }
  }

  static ServerConfig config(Path dir) {
    ServerConfig t = TestServer.config(dir, List.of(), HttpConfig.defaults(), AuditConfig.defaults());
    StorageConfig s = t.storage();
    OpenSearchConfig os = new OpenSearchConfig(cluster.hosts(), "servers-", 1, 1, "", "", 1000, 5000);
    return new ServerConfig(t.host(), t.port(), t.dataDir(), t.model(), t.http(), t.embedding(),
        new StorageConfig(StorageConfig.OPENSEARCH, s.maxEntries(), s.maxBytes(), false, s.vectorFormat(), s.refreshMs(),
            s.commitS(), s.sweepS(), s.compactSegments(), s.compactMinEntries(), s.compactIdleS(), os), t.audits(), t.namespaceDefaults(), t.apiKeys());
  }

  /** The cross-node test: store on A, semantic hit on B, invalidate on B, miss on A. */
  @Test
  @Order(1)
  void aStoreOnOneNodeIsAHitOnTheOtherUntilTheOtherInvalidatesIt() {
    Map<String, String> scope = Map.of("model", "gpt-4o");
    TestServer.Response stored = a.store("faq", "How do I reset my password?", "Click 'Forgot password'.", scope);
    assertThat(stored.status()).as(stored.text()).isEqualTo(201);
    String id = stored.json().get("entry_id").asText();

    TestServer.Response exact = b.lookup("faq", "How do I reset my password?", scope);
    assertThat(exact.json().get("kind").asText()).as(exact.text()).isEqualTo("exact");
    b.refresh();
    TestServer.Response semantic = b.lookup("faq", "How can I reset my password?", scope);
    assertThat(semantic.json().get("hit").asBoolean()).as(semantic.text()).isTrue();
    assertThat(semantic.json().get("kind").asText()).isEqualTo("semantic");
    assertThat(semantic.json().get("entry_id").asText()).isEqualTo(id);
    assertThat(semantic.json().get("response").asText()).isEqualTo("Click 'Forgot password'.");

    TestServer.Response removed = b.call("POST", "/v1/invalidate", Map.of("namespace", "faq", "scope", scope));
    assertThat(removed.json().get("removed").asInt()).as(removed.text()).isEqualTo(1);
    a.refresh();
    assertThat(a.lookup("faq", "How do I reset my password?", scope).json().get("hit").asBoolean()).isFalse();
    assertThat(a.lookup("faq", "How can I reset my password?", scope).json().get("hit").asBoolean()).isFalse();
  }

  @Test
  @Order(2)
  void tenantsStayApartAcrossNodes() {
    a.store("tenant-a", "What are your opening hours?", "9 to 5", Map.of());
    b.refresh();
    assertThat(b.lookup("tenant-a", "What are your opening hours?").json().get("hit").asBoolean()).isTrue();
    assertThat(b.lookup("tenant-b", "What are your opening hours?").json().get("hit").asBoolean()).isFalse();
    assertThat(b.lookup("tenant-b", "When are you open?").json().get("hit").asBoolean()).isFalse();
    String id = a.lookup("tenant-a", "What are your opening hours?").json().get("entry_id").asText();
    assertThat(b.call("GET", "/v1/entries/" + id + "?namespace=tenant-b", null).status()).isEqualTo(404);
  }

  /** Lookups counted on two nodes add up in either node's answer: no node overwrites the other's counts. */
  @Test
  @Order(3)
  void statisticsAddUpAcrossNodes() {
    a.store("stats", "What is semcache?", "A semantic cache.", Map.of());
    for (int i = 0; i < 3; i++) {
      a.lookup("stats", "What is semcache?");
    }
    for (int i = 0; i < 5; i++) {
      b.lookup("stats", "What is semcache?");
    }
    a.server.cache().analytics().flush();
    b.server.cache().analytics().flush();
    a.server.cache().analytics().reloadOthers();
    b.server.cache().analytics().reloadOthers();
    for (TestServer s : new TestServer[] {a, b}) {
      TestServer.Response st = s.call("GET", "/v1/namespaces/stats/stats", null);
      assertThat(st.json().get("lookups").asLong()).as(st.text()).isEqualTo(8);
      assertThat(st.json().get("exact_hits").asLong()).isEqualTo(8);
      assertThat(st.json().get("stores").asLong()).isEqualTo(1);
    }
  }

  /**
   * {@code semcache migrate}: an embedded data directory copied into the cluster answers the same: every
   * exact path, the same nearest entries with the same similarities (the stored embeddings travel, nothing
   * is re-embedded), the configs and the analytics records.
   */
  @Test
  @Order(4)
  void migrateCopiesAnEmbeddedDataDirectoryIntoTheCluster() throws Exception {
    Path dir = home.resolve("embedded");
    java.time.Clock clock = java.time.Clock.systemUTC();
    NamespaceConfig config = NamespaceConfig.defaults().withThreshold(0.8).withMaxEntries(1000);
    List<Entry> stored = new java.util.ArrayList<>();
    Map<String, List<String>> before = new java.util.HashMap<>();
    try (EmbeddedCacheStorage embedded = EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), clock)) {
      embedded.putConfig("migrated", config);
      for (String p : TestVectors.PROMPTS) {
        stored.add(embedded.store("migrated", Scope.of(Map.of("model", "m")), p, "answer to " + p, TestVectors.of(p), null,
            Map.of("source", "test")));
      }
      embedded.recordHit(stored.get(0));
      embedded.putRecords(Map.of("audit/migrated/l1", "verdict".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      embedded.refreshIndex();
      for (String p : TestVectors.PROMPTS) {
        before.put(p, nearest(embedded, p));
      }
    }
    java.nio.file.Files.writeString(dir.resolve("model"), "all-minilm-l6-v2-q\n");

    int exit = dev.semcache.server.cli.Main.run("migrate", "--to", "opensearch", "--data-dir", dir.toString(),
        "--hosts", cluster.hosts(), "--index-prefix", "migrated-", "--replicas", "0");
    assertThat(exit).isZero();

    try (OpenSearchCacheStorage migrated = OpenSearchCacheStorage.open(new OpenSearchConfig(cluster.hosts(), "migrated-",
        1, 0, "", "", 1000, 5000).toOptions(), StorageOptions.defaults(), clock)) {
      assertThat(migrated.storedConfig("migrated")).contains(config);
      assertThat(migrated.entryCount("migrated")).isEqualTo(TestVectors.PROMPTS.size());
      for (Entry e : stored) {
        Entry copy = migrated.findExact("migrated", e.scope(), e.prompt()).orElseThrow();
        assertThat(copy.response()).isEqualTo(e.response());
        assertThat(copy.embedding()).containsExactly(e.embedding());
        assertThat(copy.createdAtMillis()).isEqualTo(e.createdAtMillis());
        assertThat(copy.expiresAtMillis()).isEqualTo(e.expiresAtMillis());
        assertThat(copy.metadata()).isEqualTo(e.metadata());
      }
      assertThat(migrated.findExact("migrated", stored.get(0).scope(), stored.get(0).prompt()).orElseThrow().hitCount())
          .isEqualTo(1);
      migrated.refreshIndex();
      for (String p : TestVectors.PROMPTS) {
        assertThat(nearest(migrated, p)).as("nearest of %s", p).isEqualTo(before.get(p));
      }
      assertThat(migrated.record("audit/migrated/l1")).isPresent();
    }
  }

  /** The prompts and similarities of the three entries nearest to {@code prompt}. */
  private static List<String> nearest(dev.semcache.index.CacheStorage s, String prompt) {
    return s.findNearest("migrated", Scope.of(Map.of("model", "m")), TestVectors.of(prompt), 3).stream()
        .map(m -> m.entry().prompt() + "@" + String.format(java.util.Locale.ROOT, "%.5f", m.similarity())).toList();
  }

  /** A stopped cluster: every call that needs it answers 503 with a JSON error naming the cause. */
  @Test
  @Order(Integer.MAX_VALUE)
  void aStoppedClusterAnswers503NamingTheCauseNeverAMiss() {
    a.store("down", "How do I reset my password?", "Use the link.", Map.of());
    for (TestCluster.Node n : cluster.nodes()) {
      n.kill();
    }
    for (TestServer.Response r : List.of(a.lookup("down", "How do I reset my password?"),
        b.lookup("down", "How can I reset my password?"),
        a.call("POST", "/v1/entries", Map.of("namespace", "down", "prompt", "p", "response", "r")))) {
      assertThat(r.status()).as(r.text()).isEqualTo(503);
      assertThat(r.errorCode()).isEqualTo("storage_unavailable");
      assertThat(r.json().path("error").path("message").asText()).contains("OpenSearch cluster at")
          .contains("unreachable");
      assertThat(r.header("Retry-After")).isNotNull();
    }
  }
}
