package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.Keys;
import dev.semcache.index.Match;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.NamespaceConfigCodec;
import dev.semcache.index.Namespaces;
import dev.semcache.index.PromptNormalizer;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import dev.semcache.index.StorageUnavailableException;
import dev.semcache.index.StoreException;
import dev.semcache.index.UnitVectors;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import org.apache.lucene.util.VectorUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CacheStorage} over an OpenSearch cluster with the k-NN plugin, shared by any number of
 * stateless semcache nodes: entries, vectors, namespace configs and analytics records live in three
 * indices ({@link IndexMappings}); this node keeps only hits not yet written and a copy of the configs.
 *
 * <h2>Paths</h2>
 * An entry's document id is derived from its exact-path key (namespace, scope, normalised prompt), so a
 * store replaces the earlier answer to the same prompt and the exact path is a realtime GET by id, visible
 * on return from any node. The entry id is that document id and a random suffix, so an id that was
 * replaced opens nothing. Semantic search is one k-NN query whose filter (partition and expiry) runs
 * inside the HNSW search (efficient filtering, not post-filtering); the similarity is then recomputed
 * from the stored full-precision vector, and every hit is checked against the asked namespace, scope and
 * expiry, as in the embedded storage: the index can cost a hit, never serve a wrong one.
 *
 * <h2>Counters across nodes</h2>
 * Hits are counted in memory and written in one bulk request per flush as painless scripts that add to
 * the stored count ({@code ctx._source.hit_count += n}), retried on version conflicts: increments from any
 * number of nodes add up, none overwrites another's. A sliding TTL moves the stored expiry the same way;
 * the k-NN filter uses the cap ({@code slide_cap}), which does not move, so a renewed entry stays findable.
 *
 * <h2>Bounds</h2>
 * Sweeps delete expired entries by query and enforce {@code max_entries} and the global bounds from the
 * cluster's own counts, so they hold cluster-wide within a sweep interval. A store checks the bounds from
 * the last counts plus this node's stores since, and counts exactly (then evicts the least recently hit)
 * when that estimate reaches a bound; stores of other nodes since the last sweep can overshoot a bound
 * until the next sweep.
 *
 * <h2>Failures</h2>
 * A cluster that is unreachable, red, or missing a shard a request needs makes the call throw {@link
 * StorageUnavailableException} (after retries with backoff); searches never accept partial results.
 */
public final class OpenSearchCacheStorage implements CacheStorage {
  private static final Logger LOG = LoggerFactory.getLogger(OpenSearchCacheStorage.class);
  /** How often a node re-reads the namespace configs other nodes may have changed. */
  static final long CONFIG_RELOAD_MS = 2_000;
  /** How often recorded hits are written. */
  static final long HIT_FLUSH_MS = 500;
  private static final int PAGE = 1000;
  private static final String HIT_SCRIPT = """
      if (ctx._source.id != params.id) { ctx.op = 'none'; return; }
      ctx._source.hit_count += params.n;
      if (params.t > ctx._source.last_hit_at) { ctx._source.last_hit_at = params.t; }
      if (params.e > ctx._source.expires_at) { ctx._source.expires_at = params.e; }""";
  private static final String SLIDE_CAP_SCRIPT = """
      ctx._source.slide_cap = params.sliding ? ctx._source.created_at + params.cap : 0L;""";

  private final OpenSearchOptions os;
  private final StorageOptions options;
  private final InstantSource clock;
  private final ClusterClient cluster;
  private final String entries;
  private final String configsIndex;
  private final String records;
  private final String nodeId;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, NamespaceConfig> configs = new ConcurrentHashMap<>();
  private final Map<String, PendingHit> pendingHits = new ConcurrentHashMap<>();
  private final ReentrantLock flushLock = new ReentrantLock();
  private final ReentrantLock boundsLock = new ReentrantLock();
  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong expirations = new AtomicLong();
  private final ScheduledExecutorService maintenance;
  private volatile boolean entriesDirty;
  private volatile boolean closed;
  /** The cluster's counts at the last exact count, and this node's stores since (see Bounds). */
  private volatile Counts counts = new Counts(Map.of(), 0, 0);
  private final Map<String, AtomicLong> storedSince = new ConcurrentHashMap<>();
  private final AtomicLong bytesSince = new AtomicLong();

  /** Hits recorded on this node and not yet written: added to the stored figures on every read. */
  private record PendingHit(long hits, long lastHitAtMillis, long expiresAtMillis) {
    PendingHit plus(PendingHit o) {
      return new PendingHit(hits + o.hits, Math.max(lastHitAtMillis, o.lastHitAtMillis),
          Math.max(expiresAtMillis, o.expiresAtMillis));
    }
  }

  private record Counts(Map<String, Long> perNamespace, long total, long bytes) {}

  private OpenSearchCacheStorage(OpenSearchOptions os, StorageOptions options, InstantSource clock) {
    this.os = os;
    this.options = options;
    this.clock = clock;
    this.cluster = new ClusterClient(os);
    this.entries = os.indexPrefix() + "entries";
    this.configsIndex = os.indexPrefix() + "configs";
    this.records = os.indexPrefix() + "records";
    this.nodeId = hostName() + "-" + HexFormat.of().formatHex(random.generateSeed(4));
    this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "semcache-opensearch-maintenance");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Connects to the cluster, checks that it answers and that every node has the k-NN plugin, creates the
   * indices that are missing (or checks the mapping version and vector dimension of those that exist), and
   * starts the background refresh, hit flush, config reload and sweep.
   *
   * @throws StorageUnavailableException if the cluster cannot be reached
   * @throws IllegalStateException if the cluster lacks the k-NN plugin or holds indices this build cannot use
   */
  public static OpenSearchCacheStorage open(OpenSearchOptions os, StorageOptions options, InstantSource clock) {
    OpenSearchCacheStorage s = new OpenSearchCacheStorage(os, options, clock);
    try {
      s.checkCluster();
      s.ensureIndex(s.entries, IndexMappings.entries(options, os), true);
      s.ensureIndex(s.configsIndex, IndexMappings.configs(os), false);
      s.ensureIndex(s.records, IndexMappings.records(os), false);
      s.reloadConfigs();
      s.counts = s.exactCounts();
    } catch (RuntimeException e) {
      s.cluster.close();
      throw e;
    }
    s.schedule();
    LOG.info("OpenSearch storage ready: {} (node id {}), {} entries", os, s.nodeId, s.counts.total());
    return s;
  }

  /** Refresh is the index's own ({@code index.refresh_interval}, for the writes of every node alike). */
  private void schedule() {
    every(HIT_FLUSH_MS, "hit flush", this::flushHits);
    every(CONFIG_RELOAD_MS, "config reload", this::reloadConfigs);
    every(options.sweepInterval().toMillis(), "sweep", this::sweep);
  }

  private void every(long millis, String what, Runnable task) {
    maintenance.scheduleWithFixedDelay(() -> {
      try {
        if (!closed) {
          task.run();
        }
      } catch (RuntimeException e) {
        LOG.warn("background {} failed ({}); it runs again in {} ms", what, e.getMessage(), millis);
      }
    }, millis, millis, TimeUnit.MILLISECONDS);
  }

  // ---------------------------------------------------------------- start checks

  private void checkCluster() {
    ClusterClient.Reply info = cluster.call("GET", "/", Map.of(), null);
    if (!info.ok()) {
      throw new IllegalStateException("the OpenSearch cluster at " + cluster.hosts() + " answered " + info.status()
          + " to GET /: " + ClusterClient.reason(info.body()));
    }
    ClusterClient.Reply plugins = cluster.call("GET", "/_nodes/plugins", Map.of(), null);
    if (!plugins.ok()) {
      throw new IllegalStateException("cannot list the plugins of the OpenSearch cluster at " + cluster.hosts() + ": "
          + ClusterClient.reason(plugins.body()));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = plugins.body().path("nodes").fields(); it.hasNext(); ) {
      JsonNode node = it.next().getValue();
      boolean knn = false;
      for (JsonNode p : node.path("plugins")) {
        String name = p.path("name").asText() + " " + p.path("classname").asText();
        knn |= name.contains("opensearch-knn") || name.contains("org.opensearch.knn.plugin.KNNPlugin");
      }
      if (!knn) {
        throw new IllegalStateException("OpenSearch node " + node.path("name").asText() + " of the cluster at "
            + cluster.hosts() + " has no k-NN plugin (opensearch-knn); semcache's semantic search needs it on every"
            + " node: install it (bin/opensearch-plugin install opensearch-knn) or use the full OpenSearch distribution");
      }
    }
  }

  private void ensureIndex(String index, ObjectNode body, boolean vectors) {
    ClusterClient.Reply mapping = cluster.call("GET", "/" + index + "/_mapping", Map.of(), null);
    if (mapping.status() == 404) {
      ClusterClient.Reply created = cluster.call("PUT", "/" + index, Map.of(), body);
      if (created.ok()) {
        LOG.info("created index {} (mapping version {})", index, IndexMappings.VERSION);
        return;
      }
      if (!created.body().toString().contains("resource_already_exists_exception")) {
        throw new IllegalStateException("cannot create index " + index + " in the OpenSearch cluster at "
            + cluster.hosts() + ": " + ClusterClient.reason(created.body()));
      }
      mapping = cluster.call("GET", "/" + index + "/_mapping", Map.of(), null); // another node made it first
    }
    if (!mapping.ok()) {
      throw new IllegalStateException("cannot read the mapping of index " + index + ": "
          + ClusterClient.reason(mapping.body()));
    }
    int version = IndexMappings.versionOf(mapping.body());
    if (version < 0) {
      throw new IllegalStateException("index " + index + " in the OpenSearch cluster at " + cluster.hosts()
          + " was not created by semcache (its mapping records no " + IndexMappings.META_KEY
          + "); choose another storage.opensearch.index_prefix");
    }
    if (version > IndexMappings.VERSION) {
      throw new IllegalStateException("index " + index + " has mapping version " + version
          + ", written by a newer semcache; this build knows versions up to " + IndexMappings.VERSION
          + ": upgrade this node");
    }
    if (vectors) {
      int dimension = IndexMappings.dimensionOf(mapping.body());
      if (dimension != options.dimension()) {
        throw new IllegalStateException("index " + index + " holds " + dimension + "-dimensional vectors but the"
            + " model makes " + options.dimension() + "-dimensional ones; use another index_prefix for another model");
      }
    }
  }

  // ---------------------------------------------------------------- namespaces

  @Override
  public Optional<NamespaceConfig> storedConfig(String namespace) {
    NamespaceConfig cached = configs.get(namespace);
    if (cached != null) {
      return Optional.of(cached);
    }
    ClusterClient.Reply r = cluster.call("GET", "/" + configsIndex + "/_doc/" + ClusterClient.segment(namespace),
        Map.of(), null);
    if (r.status() == 404 || !r.body().path("found").asBoolean(false)) {
      requireFound(r, "read the config of namespace " + namespace);
      return Optional.empty();
    }
    NamespaceConfig c = decodeConfig(namespace, r.body().path("_source"));
    configs.putIfAbsent(namespace, c);
    return Optional.of(c);
  }

  @Override
  public Optional<NamespaceConfig> cachedConfig(String namespace) {
    return Optional.ofNullable(configs.get(namespace));
  }

  @Override
  public void putConfig(String namespace, NamespaceConfig config) {
    Namespaces.requireValid(namespace);
    NamespaceConfig before = config(namespace);
    ClusterClient.Reply r = cluster.call("PUT", "/" + configsIndex + "/_doc/" + ClusterClient.segment(namespace),
        Map.of("refresh", "true", "timeout", timeout()), configDoc(namespace, config));
    requireOk(r, "store the config of namespace " + namespace);
    configs.put(namespace, config);
    if (before.slidingTtl() != config.slidingTtl() || (config.slidingTtl() && before.maxTtlSeconds() != config.maxTtlSeconds())) {
      updateSlideCaps(namespace, config);
    }
  }

  /** The k-NN filter's expiry of a namespace's entries depends on its TTL settings: bring it up to date. */
  private void updateSlideCaps(String namespace, NamespaceConfig c) {
    refreshEntriesIfDirty();
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    body.putObject("query").putObject("term").put("namespace", namespace);
    ObjectNode script = body.putObject("script");
    script.put("lang", "painless").put("source", SLIDE_CAP_SCRIPT);
    script.putObject("params").put("sliding", c.slidingTtl()).put("cap", c.maxTtlSeconds() * 1000);
    ClusterClient.Reply r = cluster.call("POST", "/" + entries + "/_update_by_query",
        Map.of("refresh", "true", "conflicts", "proceed"), body);
    requireOk(r, "update the expiry filter of namespace " + namespace);
    LOG.info("namespace {}: TTL settings changed; expiry filter of {} entries updated", namespace,
        r.body().path("updated").asLong());
  }

  @Override
  public NamespaceConfig createConfigIfAbsent(String namespace, NamespaceConfig config) {
    Optional<NamespaceConfig> existing = storedConfig(namespace);
    if (existing.isPresent()) {
      return existing.get();
    }
    Namespaces.requireValid(namespace);
    ClusterClient.Reply r = cluster.call("PUT", "/" + configsIndex + "/_create/" + ClusterClient.segment(namespace),
        Map.of("refresh", "true", "timeout", timeout()), configDoc(namespace, config));
    if (r.status() == 409) {
      configs.remove(namespace);
      return storedConfig(namespace).orElseThrow(() -> new StoreException("namespace " + namespace
          + " exists in the cluster but its config cannot be read"));
    }
    requireOk(r, "create namespace " + namespace);
    configs.put(namespace, config);
    return config;
  }

  @Override
  public List<String> namespaces() {
    List<String> out = new ArrayList<>();
    forEachConfig((ns, c) -> out.add(ns));
    out.sort(null);
    return out;
  }

  private void reloadConfigs() {
    Map<String, NamespaceConfig> fresh = new HashMap<>();
    forEachConfig(fresh::put);
    configs.putAll(fresh);
    configs.keySet().retainAll(fresh.keySet());
  }

  private void forEachConfig(BiConsumer<String, NamespaceConfig> action) {
    scan(configsIndex, ClusterClient.JSON.createObjectNode().set("match_all", ClusterClient.JSON.createObjectNode()),
        "namespace", hit -> {
          String ns = hit.path("_source").path("namespace").asText();
          action.accept(ns, decodeConfig(ns, hit.path("_source")));
        });
  }

  private static ObjectNode configDoc(String namespace, NamespaceConfig c) {
    return ClusterClient.JSON.createObjectNode().put("namespace", namespace)
        .put("config", new String(NamespaceConfigCodec.encode(c), StandardCharsets.UTF_8));
  }

  private static NamespaceConfig decodeConfig(String namespace, JsonNode source) {
    return NamespaceConfigCodec.decode(namespace, source.path("config").asText().getBytes(StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------- entries: writes

  @Override
  public Entry store(String namespace, Scope scope, String prompt, String response, float[] embedding, Long ttlSeconds,
      Map<String, String> metadata) {
    Namespaces.requireValid(namespace);
    UnitVectors.require(embedding, options.dimension());
    NamespaceConfig config = config(namespace);
    long ttl = config.ttlMillisFor(ttlSeconds);
    long now = clock.millis();
    String docId = docId(namespace, scope, prompt);
    String id = docId + HexFormat.of().formatHex(random.generateSeed(4));
    Entry entry = new Entry(id, namespace, scope, prompt, response, embedding.clone(), now, ttl, now + ttl, 0, now,
        metadata);
    ObjectNode doc = toDoc(entry, config);
    long size = doc.path("size_bytes").asLong();
    makeRoom(namespace, config, size);
    ClusterClient.Reply r = cluster.call("PUT", "/" + entries + "/_doc/" + docId, Map.of("timeout", timeout()), doc);
    requireOk(r, "store an entry of namespace " + namespace);
    entriesDirty = true;
    storedSince.computeIfAbsent(namespace, k -> new AtomicLong()).incrementAndGet();
    bytesSince.addAndGet(size);
    return entry;
  }

  /**
   * Evicts least recently hit entries so that one more of {@code size} bytes fits every bound: from the
   * estimate (last exact counts plus this node's stores since) when it is clearly below the bounds, from
   * an exact count otherwise.
   */
  private void makeRoom(String namespace, NamespaceConfig config, long size) {
    if (!mayBeFull(namespace, config, size)) {
      return;
    }
    boundsLock.lock();
    try {
      flushHits(); // eviction reads the recency order: it must hold every hit so far
      refreshEntriesIfDirty();
      Counts c = exactCounts();
      long inNamespace = c.perNamespace().getOrDefault(namespace, 0L);
      if (inNamespace >= config.maxEntries()) {
        evictOldest(namespace, inNamespace - config.maxEntries() + 1);
      }
      c = exactCounts();
      if (c.total() >= options.maxEntries()) {
        evictOldest(null, c.total() - options.maxEntries() + 1);
      }
      for (int i = 0; i < 1000; i++) {
        c = exactCounts();
        if (c.bytes() + size <= options.maxBytes() || c.total() == 0) {
          break;
        }
        evictOldest(null, Math.max(1, (c.bytes() + size - options.maxBytes()) / Math.max(1, c.bytes() / c.total())));
      }
    } finally {
      boundsLock.unlock();
    }
  }

  private boolean mayBeFull(String namespace, NamespaceConfig config, long size) {
    Counts c = counts;
    long inNamespace = c.perNamespace().getOrDefault(namespace, 0L)
        + storedSince.getOrDefault(namespace, new AtomicLong()).get();
    long total = c.total() + storedSince.values().stream().mapToLong(AtomicLong::get).sum();
    return inNamespace + 1 > config.maxEntries() || total + 1 > options.maxEntries()
        || c.bytes() + bytesSince.get() + size > options.maxBytes();
  }

  /** Counts entries per namespace, in all, and their bytes, as the cluster has them (after a refresh). */
  private Counts exactCounts() {
    ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", 0).put("track_total_hits", true);
    ObjectNode aggs = body.putObject("aggs");
    aggs.putObject("ns").putObject("terms").put("field", "namespace").put("size", 100_000);
    aggs.putObject("bytes").putObject("sum").put("field", "size_bytes");
    JsonNode r = search(entries, body);
    Map<String, Long> per = new HashMap<>();
    for (JsonNode b : r.path("aggregations").path("ns").path("buckets")) {
      per.put(b.path("key").asText(), b.path("doc_count").asLong());
    }
    Counts c = new Counts(Map.copyOf(per), r.path("hits").path("total").path("value").asLong(),
        (long) r.path("aggregations").path("bytes").path("value").asDouble());
    storedSince.clear();
    bytesSince.set(0);
    counts = c;
    return c;
  }

  /** Deletes the {@code n} least recently hit entries of a namespace (or of all, if null). */
  private int evictOldest(String namespace, long n) {
    if (n <= 0) {
      return 0;
    }
    ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", (int) Math.min(n, 10_000)).put("_source", false);
    if (namespace != null) {
      body.putObject("query").putObject("term").put("namespace", namespace);
    }
    ArrayNode sort = body.putArray("sort");
    sort.addObject().putObject("last_hit_at").put("order", "asc");
    sort.addObject().putObject("created_at").put("order", "asc");
    JsonNode r = search(entries, body);
    StringBuilder bulk = new StringBuilder();
    int k = 0;
    for (JsonNode hit : r.path("hits").path("hits")) {
      ObjectNode action = ClusterClient.JSON.createObjectNode();
      action.putObject("delete").put("_index", entries).put("_id", hit.path("_id").asText());
      bulk.append(action).append('\n');
      k++;
    }
    if (k == 0) {
      return 0;
    }
    ClusterClient.Reply b = cluster.bulk(bulk.toString(), Map.of("refresh", "true", "timeout", timeout()));
    requireOk(b, "evict entries");
    int deleted = 0;
    for (JsonNode item : b.body().path("items")) {
      if ("deleted".equals(item.path("delete").path("result").asText())) {
        deleted++;
        forgetHits(item.path("delete").path("_id").asText());
      }
    }
    evictions.addAndGet(deleted);
    return deleted;
  }

  @Override
  public boolean delete(String namespace, String id) {
    String docId = docIdOf(id);
    if (docId == null) {
      return false;
    }
    ClusterClient.Reply r = getEntryDoc(docId);
    if (!r.body().path("found").asBoolean(false)) {
      return false;
    }
    JsonNode src = r.body().path("_source");
    if (!src.path("id").asText().equals(id) || !src.path("namespace").asText().equals(namespace)) {
      return false;
    }
    ClusterClient.Reply d = cluster.call("DELETE", "/" + entries + "/_doc/" + docId, Map.of(
        "if_seq_no", r.body().path("_seq_no").asText(), "if_primary_term", r.body().path("_primary_term").asText(),
        "timeout", timeout()), null);
    if (d.status() == 404 || d.status() == 409) {
      return false; // deleted or replaced meanwhile, by this node or another
    }
    requireOk(d, "delete entry " + id);
    entriesDirty = true;
    forgetHits(docId);
    return true;
  }

  @Override
  public int invalidate(String namespace, Scope scope) {
    refreshEntriesIfDirty();
    flushHits();
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    body.putObject("query").putObject("term").put("partition", Keys.partition(namespace, scope));
    // a refresh first: delete-by-query sees what searches see, and the stores just made must go too
    cluster.call("POST", "/" + entries + "/_refresh", Map.of(), null);
    ClusterClient.Reply r = cluster.call("POST", "/" + entries + "/_delete_by_query",
        Map.of("refresh", "true", "conflicts", "proceed"), body);
    requireOk(r, "invalidate a scope of namespace " + namespace);
    return (int) r.body().path("deleted").asLong();
  }

  // ---------------------------------------------------------------- hits

  @Override
  public Entry recordHit(Entry e) {
    long now = clock.millis();
    NamespaceConfig c = config(e.namespace());
    long expires = e.expiresAtMillis();
    if (c.slidingTtl()) {
      expires = Math.max(expires, Math.min(now + e.ttlMillis(), e.createdAtMillis() + c.maxTtlSeconds() * 1000));
    }
    if (docIdOf(e.id()) != null) {
      pendingHits.merge(e.id(), new PendingHit(1, now, expires), PendingHit::plus);
    }
    return e.withStats(new dev.semcache.index.EntryStats(expires, e.hitCount() + 1, Math.max(now, e.lastHitAtMillis())));
  }

  /**
   * Writes the recorded hits in one bulk request of scripted updates that add to the stored figures;
   * what was written leaves the pending map, what failed stays for the next flush.
   */
  @Override
  public void flushHits() {
    if (pendingHits.isEmpty()) {
      return;
    }
    flushLock.lock();
    try {
      Map<String, PendingHit> batch = new HashMap<>(pendingHits);
      if (batch.isEmpty()) {
        return;
      }
      StringBuilder bulk = new StringBuilder();
      List<String> keys = new ArrayList<>();
      for (Map.Entry<String, PendingHit> p : batch.entrySet()) {
        ObjectNode action = ClusterClient.JSON.createObjectNode();
        action.putObject("update").put("_index", entries).put("_id", docIdOf(p.getKey())).put("retry_on_conflict", 10);
        ObjectNode doc = ClusterClient.JSON.createObjectNode();
        ObjectNode script = doc.putObject("script");
        script.put("lang", "painless").put("source", HIT_SCRIPT);
        script.putObject("params").put("id", p.getKey()).put("n", p.getValue().hits())
            .put("t", p.getValue().lastHitAtMillis()).put("e", p.getValue().expiresAtMillis());
        bulk.append(action).append('\n').append(doc).append('\n');
        keys.add(p.getKey());
      }
      ClusterClient.Reply r = cluster.bulk(bulk.toString(), Map.of("timeout", timeout()));
      requireOk(r, "write hit counts");
      JsonNode items = r.body().path("items");
      for (int i = 0; i < keys.size(); i++) {
        JsonNode item = items.path(i).path("update");
        int status = item.path("status").asInt(500);
        if ((status >= 200 && status < 300) || status == 404) { // 404: the entry is gone, so are its hits
          PendingHit written = batch.get(keys.get(i));
          pendingHits.computeIfPresent(keys.get(i), (k, now) -> now.hits() == written.hits() ? null
              : new PendingHit(now.hits() - written.hits(), now.lastHitAtMillis(), now.expiresAtMillis()));
        } else {
          LOG.warn("hit count of {} not written ({}); kept for the next flush", keys.get(i), item.path("error"));
        }
      }
      entriesDirty = true;
    } finally {
      flushLock.unlock();
    }
  }

  /**
   * Writes entries taken from another storage (a migration), with their stored embeddings and figures
   * (creation, expiry, hits) as they are, in one bulk request. Each gets a new id in this storage's form
   * (its document id follows from its exact-path key); an entry stored under the same prompt is replaced.
   * Bounds are not enforced here: the next sweep does.
   *
   * @return entries written
   */
  public int importEntries(List<Entry> batch) {
    if (batch.isEmpty()) {
      return 0;
    }
    StringBuilder bulk = new StringBuilder();
    for (Entry e : batch) {
      UnitVectors.require(e.embedding(), options.dimension());
      String docId = docId(e.namespace(), e.scope(), e.prompt());
      Entry renamed = new Entry(docId + HexFormat.of().formatHex(random.generateSeed(4)), e.namespace(), e.scope(),
          e.prompt(), e.response(), e.embedding(), e.createdAtMillis(), e.ttlMillis(), e.expiresAtMillis(), e.hitCount(),
          e.lastHitAtMillis(), e.metadata());
      ObjectNode action = ClusterClient.JSON.createObjectNode();
      action.putObject("index").put("_index", entries).put("_id", docId);
      bulk.append(action).append('\n').append(toDoc(renamed, config(e.namespace()))).append('\n');
    }
    ClusterClient.Reply r = cluster.bulk(bulk.toString(), Map.of("timeout", timeout()));
    requireOk(r, "import entries");
    int written = 0;
    for (JsonNode item : r.body().path("items")) {
      int status = item.path("index").path("status").asInt(500);
      if (status >= 200 && status < 300) {
        written++;
      } else {
        throw new StoreException("OpenSearch did not import an entry: " + item.path("index").path("error"));
      }
    }
    entriesDirty = true;
    return written;
  }

  // ---------------------------------------------------------------- entries: reads

  @Override
  public Optional<Entry> get(String namespace, String id) {
    String docId = docIdOf(id);
    if (docId == null) {
      return Optional.empty();
    }
    long now = clock.millis();
    return entryOf(getEntryDoc(docId).body())
        .filter(e -> e.id().equals(id) && e.namespace().equals(namespace) && e.isLiveAt(now));
  }

  @Override
  public Optional<Entry> findExact(String namespace, Scope scope, String prompt) {
    long now = clock.millis();
    String normalized = PromptNormalizer.normalize(prompt);
    return entryOf(getEntryDoc(docId(namespace, scope, prompt)).body())
        .filter(e -> e.isLiveAt(now) && e.namespace().equals(namespace) && e.scope().equals(scope)
            && PromptNormalizer.normalize(e.prompt()).equals(normalized));
  }

  private static final ExactProbe NEEDS_IO = new ExactProbe.NeedsIo();

  /** Every exact lookup is a request to the cluster: never answered from memory. */
  @Override
  public ExactProbe probeExact(String namespace, Scope scope, String prompt) {
    return NEEDS_IO;
  }

  @Override
  public List<Match> findNearest(String namespace, Scope scope, float[] vector, int k) {
    long now = clock.millis();
    ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", k);
    ObjectNode knn = body.putObject("query").putObject("knn").putObject("embedding");
    ArrayNode v = knn.putArray("vector");
    for (float x : vector) {
      v.add(x);
    }
    knn.put("k", Math.max(k, options.candidates()));
    // the filter runs inside the HNSW search (efficient filtering): only live entries of this partition
    ArrayNode filters = knn.putObject("filter").putObject("bool").putArray("filter");
    filters.addObject().putObject("term").put("partition", Keys.partition(namespace, scope));
    ObjectNode live = filters.addObject().putObject("bool");
    live.put("minimum_should_match", 1);
    ArrayNode should = live.putArray("should");
    should.addObject().putObject("range").putObject("expires_at").put("gt", now);
    should.addObject().putObject("range").putObject("slide_cap").put("gt", now);
    JsonNode r = search(entries, body);
    List<Match> out = new ArrayList<>(k);
    for (JsonNode hit : r.path("hits").path("hits")) {
      Entry e = withPendingHits(fromSource(hit.path("_id").asText(), hit.path("_source")));
      if (e.isLiveAt(now) && e.namespace().equals(namespace) && e.scope().equals(scope)) {
        out.add(new Match(e, VectorUtil.dotProduct(vector, e.embedding())));
      }
    }
    out.sort(Comparator.comparingDouble(Match::similarity).reversed());
    return out;
  }

  private ClusterClient.Reply getEntryDoc(String docId) {
    ClusterClient.Reply r = cluster.call("GET", "/" + entries + "/_doc/" + docId, Map.of(), null);
    requireFound(r, "read an entry");
    return r;
  }

  private Optional<Entry> entryOf(JsonNode getAnswer) {
    if (!getAnswer.path("found").asBoolean(false)) {
      return Optional.empty();
    }
    return Optional.of(withPendingHits(fromSource(getAnswer.path("_id").asText(), getAnswer.path("_source"))));
  }

  /** Drops the pending hits of a removed document (its entry ids start with the document id). */
  private void forgetHits(String docId) {
    pendingHits.keySet().removeIf(id -> id.startsWith(docId));
  }

  private Entry withPendingHits(Entry e) {
    PendingHit p = pendingHits.get(e.id());
    if (p == null) {
      return e;
    }
    return e.withStats(new dev.semcache.index.EntryStats(Math.max(e.expiresAtMillis(), p.expiresAtMillis()),
        e.hitCount() + p.hits(), Math.max(e.lastHitAtMillis(), p.lastHitAtMillis())));
  }

  // ---------------------------------------------------------------- documents

  /** The document id of an exact-path key: 24 hex digits (96 bits) of its SHA-256. */
  static String docId(String namespace, Scope scope, String prompt) {
    return HexFormat.of().formatHex(sha256(Keys.exact(namespace, scope, prompt))).substring(0, 24);
  }

  /** The document id inside an entry id (24 hex digits, then 8 random ones), or null if it is not one. */
  static String docIdOf(String id) {
    if (id == null || id.length() != 32) {
      return null;
    }
    for (int i = 0; i < 32; i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return null;
      }
    }
    return id.substring(0, 24);
  }

  private ObjectNode toDoc(Entry e, NamespaceConfig c) {
    ObjectNode d = ClusterClient.JSON.createObjectNode();
    d.put("id", e.id()).put("namespace", e.namespace()).put("partition", Keys.partition(e.namespace(), e.scope()));
    ObjectNode scope = d.putObject("scope");
    e.scope().attributes().forEach(scope::put);
    d.put("prompt", e.prompt()).put("response", e.response());
    ObjectNode meta = d.putObject("metadata");
    new TreeMap<>(e.metadata()).forEach(meta::put);
    ArrayNode v = d.putArray("embedding");
    for (float x : e.embedding()) {
      v.add(x);
    }
    d.put("created_at", e.createdAtMillis()).put("ttl_ms", e.ttlMillis()).put("expires_at", e.expiresAtMillis())
        .put("slide_cap", c.slidingTtl() ? e.createdAtMillis() + c.maxTtlSeconds() * 1000 : 0)
        .put("hit_count", e.hitCount()).put("last_hit_at", e.lastHitAtMillis());
    // the bytes the global byte bound counts: what the entry's values take (as in the embedded storage's codec)
    long size = e.prompt().getBytes(StandardCharsets.UTF_8).length + e.response().getBytes(StandardCharsets.UTF_8).length
        + 4L * e.embedding().length + e.namespace().length() + 64;
    for (Map.Entry<String, String> m : e.metadata().entrySet()) {
      size += m.getKey().length() + m.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    for (Map.Entry<String, String> m : e.scope().attributes().entrySet()) {
      size += m.getKey().length() + m.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    d.put("size_bytes", size);
    return d;
  }

  static Entry fromSource(String docId, JsonNode s) {
    Map<String, String> scope = new TreeMap<>();
    s.path("scope").fields().forEachRemaining(f -> scope.put(f.getKey(), f.getValue().asText()));
    Map<String, String> meta = new TreeMap<>();
    s.path("metadata").fields().forEachRemaining(f -> meta.put(f.getKey(), f.getValue().asText()));
    JsonNode v = s.path("embedding");
    float[] vector = new float[v.size()];
    for (int i = 0; i < vector.length; i++) {
      vector[i] = v.get(i).floatValue();
    }
    return new Entry(s.path("id").asText(), s.path("namespace").asText(), Scope.of(scope), s.path("prompt").asText(),
        s.path("response").asText(), vector, s.path("created_at").asLong(), s.path("ttl_ms").asLong(),
        s.path("expires_at").asLong(), s.path("hit_count").asLong(), s.path("last_hit_at").asLong(), meta);
  }

  // ---------------------------------------------------------------- maintenance

  @Override
  public void refreshIndex() {
    entriesDirty = false;
    ClusterClient.Reply r = cluster.call("POST", "/" + entries + "/_refresh", Map.of(), null);
    requireOk(r, "refresh the entries index");
  }

  private void refreshEntriesIfDirty() {
    if (entriesDirty) {
      refreshIndex();
    }
  }

  @Override
  public int sweep() {
    flushHits(); // a pending sliding-TTL extension must reach the stored expiry before it is compared
    refreshEntriesIfDirty();
    long now = clock.millis();
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    body.putObject("query").putObject("range").putObject("expires_at").put("lte", now);
    ClusterClient.Reply r = cluster.call("POST", "/" + entries + "/_delete_by_query",
        Map.of("refresh", "true", "conflicts", "proceed"), body);
    requireOk(r, "delete expired entries");
    int removed = (int) r.body().path("deleted").asLong();
    expirations.addAndGet(removed);
    boundsLock.lock();
    try {
      Counts c = exactCounts();
      for (Map.Entry<String, Long> ns : c.perNamespace().entrySet()) {
        long max = config(ns.getKey()).maxEntries();
        if (ns.getValue() > max) {
          removed += evictOldest(ns.getKey(), ns.getValue() - max);
        }
      }
      c = exactCounts();
      if (c.total() > options.maxEntries()) {
        removed += evictOldest(null, c.total() - options.maxEntries());
      }
      for (int i = 0; i < 1000; i++) {
        c = exactCounts();
        if (c.bytes() <= options.maxBytes() || c.total() == 0) {
          break;
        }
        removed += evictOldest(null, Math.max(1, (c.bytes() - options.maxBytes()) / Math.max(1, c.bytes() / c.total())));
      }
    } finally {
      boundsLock.unlock();
    }
    return removed;
  }

  // ---------------------------------------------------------------- figures

  @Override
  public long entryCount() {
    refreshEntriesIfDirty();
    return count(null);
  }

  @Override
  public long entryCount(String namespace) {
    refreshEntriesIfDirty();
    return count(namespace);
  }

  private long count(String namespace) {
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    if (namespace != null) {
      body.putObject("query").putObject("term").put("namespace", namespace);
    }
    ClusterClient.Reply r = cluster.call("POST", "/" + entries + "/_count", Map.of(), body);
    requireOk(r, "count entries");
    requireAllShards(r.body(), "count entries");
    return r.body().path("count").asLong();
  }

  @Override
  public long entryBytes() {
    refreshEntriesIfDirty();
    return exactCounts().bytes();
  }

  /** Entries searchable now (as of the cluster's last refresh). */
  @Override
  public long indexedCount() {
    return count(null);
  }

  @Override
  public long evictionCount() {
    return evictions.get();
  }

  @Override
  public long expirationCount() {
    return expirations.get();
  }

  // ---------------------------------------------------------------- analytics records

  /**
   * Writes the records in one bulk request. Each record is written atomically and durably; a batch is
   * not a transaction across records (a cluster failing mid-batch can keep some: the call then throws).
   */
  @Override
  public void putRecords(Map<String, byte[]> batch) {
    if (batch.isEmpty()) {
      return;
    }
    StringBuilder bulk = new StringBuilder();
    for (Map.Entry<String, byte[]> e : batch.entrySet()) {
      ObjectNode action = ClusterClient.JSON.createObjectNode();
      if (e.getValue() == null) {
        action.putObject("delete").put("_index", records).put("_id", e.getKey());
        bulk.append(action).append('\n');
      } else {
        action.putObject("index").put("_index", records).put("_id", e.getKey());
        ObjectNode doc = ClusterClient.JSON.createObjectNode().put("key", e.getKey())
            .put("value", Base64.getEncoder().encodeToString(e.getValue()));
        bulk.append(action).append('\n').append(doc).append('\n');
      }
    }
    ClusterClient.Reply r = cluster.bulk(bulk.toString(), Map.of("timeout", timeout()));
    requireOk(r, "write analytics records");
    for (JsonNode item : r.body().path("items")) {
      JsonNode op = item.has("index") ? item.path("index") : item.path("delete");
      int status = op.path("status").asInt(500);
      if (!(status >= 200 && status < 300) && status != 404) {
        throw new StorageUnavailableException("OpenSearch did not write analytics record " + op.path("_id").asText()
            + ": " + op.path("error"));
      }
    }
  }

  @Override
  public Optional<byte[]> record(String key) {
    ClusterClient.Reply r = cluster.call("GET", "/" + records + "/_doc/" + ClusterClient.segment(key), Map.of(), null);
    requireFound(r, "read analytics record " + key);
    if (!r.body().path("found").asBoolean(false)) {
      return Optional.empty();
    }
    return Optional.of(Base64.getDecoder().decode(r.body().path("_source").path("value").asText()));
  }

  @Override
  public void forEachRecord(String prefix, BiConsumer<String, byte[]> action) {
    // a refresh first, always: records written by this node and by others are all listed
    requireOk(cluster.call("POST", "/" + records + "/_refresh", Map.of(), null), "refresh the records index");
    ObjectNode query = ClusterClient.JSON.createObjectNode();
    query.putObject("prefix").put("key", prefix);
    scan(records, query, "key", hit -> action.accept(hit.path("_source").path("key").asText(),
        Base64.getDecoder().decode(hit.path("_source").path("value").asText())));
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  // ---------------------------------------------------------------- requests

  /** Every document matching {@code query}, in {@code sortField} order, a page at a time. */
  private void scan(String index, ObjectNode query, String sortField, java.util.function.Consumer<JsonNode> action) {
    JsonNode after = null;
    while (true) {
      ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", PAGE);
      body.set("query", query);
      body.putArray("sort").addObject().put(sortField, "asc");
      if (after != null) {
        body.set("search_after", after);
      }
      JsonNode hits = search(index, body).path("hits").path("hits");
      for (JsonNode hit : hits) {
        action.accept(hit);
      }
      if (hits.size() < PAGE) {
        return;
      }
      after = hits.get(hits.size() - 1).path("sort");
    }
  }

  /** A search that fails rather than answer from part of the shards. */
  private JsonNode search(String index, ObjectNode body) {
    ClusterClient.Reply r = cluster.call("POST", "/" + index + "/_search",
        Map.of("allow_partial_search_results", "false"), body);
    requireOk(r, "search " + index);
    requireAllShards(r.body(), "search " + index);
    return r.body();
  }

  private void requireAllShards(JsonNode body, String what) {
    if (body.path("_shards").path("failed").asInt(0) > 0) {
      throw new StorageUnavailableException("OpenSearch could not " + what + ": " + body.path("_shards").path("failed")
          + " shards failed (" + body.path("_shards").path("failures").path(0).path("reason") + ")");
    }
  }

  private void requireOk(ClusterClient.Reply r, String what) {
    if (!r.ok()) {
      throw new StoreException("OpenSearch could not " + what + " (" + r.status() + "): " + ClusterClient.reason(r.body()));
    }
  }

  /** A GET by id: 200 or 404 (the document or the whole index is missing) are answers, the rest is not. */
  private void requireFound(ClusterClient.Reply r, String what) {
    if (!r.ok() && r.status() != 404) {
      throw new StoreException("OpenSearch could not " + what + " (" + r.status() + "): " + ClusterClient.reason(r.body()));
    }
    if (r.status() == 404 && r.body().path("error").isObject()) {
      throw new StorageUnavailableException("OpenSearch could not " + what + ": " + ClusterClient.reason(r.body()));
    }
  }

  private String timeout() {
    return os.requestTimeout().toMillis() + "ms";
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replace('/', '-');
    } catch (java.io.IOException e) {
      return "node";
    }
  }

  public OpenSearchOptions clusterOptions() {
    return os;
  }

  @Override
  public String toString() {
    return "OpenSearchCacheStorage{" + os + ", node " + nodeId + "}";
  }

  /** Stops background work, writes the pending hits, and closes the client. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    maintenance.shutdown();
    try {
      maintenance.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      flushHits();
    } catch (RuntimeException e) {
      LOG.warn("closing: {} hit counts not written ({})", pendingHits.size(), e.getMessage());
    }
    cluster.close();
  }
}
