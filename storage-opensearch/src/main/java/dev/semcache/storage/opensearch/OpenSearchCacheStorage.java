package dev.semcache.storage.opensearch;

import dev.semcache.index.CacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.EntryStats;
import dev.semcache.index.Match;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import dev.semcache.index.StorageUnavailableException;
import java.net.InetAddress;
import java.security.SecureRandom;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link CacheStorage} over an OpenSearch cluster with the k-NN plugin, shared by any number of
 * stateless semcache nodes: entries, their vectors, their hit figures, namespace configs and analytics
 * records live in four indices ({@link IndexMappings}); this node keeps only hits not yet written and a
 * copy of the configs. This class wires the parts and runs their background work:
 *
 * <ul>
 *   <li>{@link IndexSetup}: the start checks (reachable, k-NN plugin on every node) and the indices,
 *       created, checked or migrated;
 *   <li>{@link EntryReads} (by id, exact path, {@link NearestQuery semantic path}), {@link EntryWrites}
 *       (store, delete, invalidate, import, sweep) and {@link EntryBounds} (max_entries, global bounds,
 *       fair-share eviction), over the documents of {@link EntryDocuments};
 *   <li>{@link HitCounts}: hits counted here and added to the hits documents of every node's entries;
 *   <li>{@link ClusterConfigs} and {@link AnalyticsRecords}; all requests through {@link ClusterRequests}.
 * </ul>
 *
 * <h2>Paths</h2>
 * An entry's document id is derived from its exact-path key (namespace, scope, normalised prompt), so a
 * store replaces the earlier answer to the same prompt and the exact path is a realtime GET by id, visible
 * on return from any node. Semantic search is one k-NN query whose filter (partition and expiry) runs
 * inside the HNSW search; the similarity is then recomputed from the stored full-precision vector, and
 * every hit is checked against the asked namespace, scope and expiry, as in the embedded storage.
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

  private final OpenSearchOptions os;
  private final StorageOptions options;
  private final InstantSource clock;
  private final ClusterClient cluster;
  private final Indices indices;
  private final ClusterRequests requests;
  private final ClusterConfigs configs;
  private final HitCounts hits;
  private final EntryReads reads;
  private final EntryBounds bounds;
  private final EntryWrites writes;
  private final AnalyticsRecords records;
  private final String nodeId;
  private final ScheduledExecutorService maintenance;
  private volatile boolean closed;

  private OpenSearchCacheStorage(OpenSearchOptions os, StorageOptions options, InstantSource clock) {
    this.os = os;
    this.options = options;
    this.clock = clock;
    this.cluster = new ClusterClient(os);
    this.indices = Indices.under(os.indexPrefix());
    this.requests = new ClusterRequests(cluster, os);
    this.configs = new ClusterConfigs(requests, indices);
    this.hits = new HitCounts(requests, indices);
    this.reads = new EntryReads(requests, indices, options, clock, hits);
    this.bounds = new EntryBounds(requests, indices, options, configs::config, hits);
    this.writes = new EntryWrites(requests, indices, options, clock, configs::config, reads, hits, bounds);
    this.records = new AnalyticsRecords(requests, indices);
    configs.onTtlChange(writes::updateSlideCaps);
    this.nodeId = hostName() + "-" + HexFormat.of().formatHex(new SecureRandom().generateSeed(4));
    this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "semcache-opensearch-maintenance");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Connects to the cluster, checks that it answers and that every node has the k-NN plugin, creates the
   * indices that are missing (or checks the mapping version and vector dimension of those that exist, and
   * migrates an older version), and starts the background hit flush, config reload and sweep.
   *
   * @throws StorageUnavailableException if the cluster cannot be reached
   * @throws IllegalStateException if the cluster lacks the k-NN plugin or holds indices this build cannot use
   */
  public static OpenSearchCacheStorage open(OpenSearchOptions os, StorageOptions options, InstantSource clock) {
    OpenSearchCacheStorage s = new OpenSearchCacheStorage(os, options, clock);
    try {
      new IndexSetup(s.cluster, options, os, s.indices).run();
      s.configs.reload();
      s.bounds.exactCounts();
    } catch (RuntimeException e) {
      s.cluster.close();
      throw e;
    }
    s.schedule();
    LOG.info("OpenSearch storage ready: {} (node id {}), {} entries", os, s.nodeId, s.bounds.lastCounts().total());
    return s;
  }

  /** Refresh is the index's own ({@code index.refresh_interval}, for the writes of every node alike). */
  private void schedule() {
    every(HIT_FLUSH_MS, "hit flush", hits::flush);
    every(CONFIG_RELOAD_MS, "config reload", configs::reload);
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

  // ---------------------------------------------------------------- namespaces

  @Override
  public Optional<NamespaceConfig> storedConfig(String namespace) {
    return configs.stored(namespace);
  }

  @Override
  public Optional<NamespaceConfig> cachedConfig(String namespace) {
    return configs.cached(namespace);
  }

  @Override
  public void putConfig(String namespace, NamespaceConfig config) {
    configs.put(namespace, config);
  }

  @Override
  public NamespaceConfig createConfigIfAbsent(String namespace, NamespaceConfig config) {
    return configs.createIfAbsent(namespace, config);
  }

  @Override
  public List<String> namespaces() {
    return configs.namespaces();
  }

  // ---------------------------------------------------------------- entries

  @Override
  public Entry store(String namespace, Scope scope, String prompt, String response, float[] embedding, Long ttlSeconds,
      Map<String, String> metadata) {
    return writes.store(namespace, scope, prompt, response, embedding, ttlSeconds, metadata);
  }

  @Override
  public boolean delete(String namespace, String id) {
    return writes.delete(namespace, id);
  }

  @Override
  public int invalidate(String namespace, Scope scope) {
    return writes.invalidate(namespace, scope);
  }

  /**
   * Writes entries taken from another storage (a migration), with their stored embeddings and figures
   * (creation, expiry, hits) as they are, in one bulk request; see {@link EntryWrites#importEntries}.
   *
   * @return entries written
   */
  public int importEntries(List<Entry> batch) {
    return writes.importEntries(batch);
  }

  @Override
  public Optional<Entry> get(String namespace, String id) {
    return reads.get(namespace, id);
  }

  @Override
  public Optional<Entry> findExact(String namespace, Scope scope, String prompt) {
    return reads.findExact(namespace, scope, prompt);
  }

  private static final ExactProbe NEEDS_IO = new ExactProbe.NeedsIo();

  /** Every exact lookup is a request to the cluster: never answered from memory. */
  @Override
  public ExactProbe probeExact(String namespace, Scope scope, String prompt) {
    return NEEDS_IO;
  }

  @Override
  public List<Match> findNearest(String namespace, Scope scope, float[] vector, int k) {
    return reads.findNearest(namespace, scope, vector, k);
  }

  // ---------------------------------------------------------------- hits

  @Override
  public Entry recordHit(Entry e) {
    long now = clock.millis();
    NamespaceConfig c = configs.config(e.namespace());
    long expires = e.expiresAtMillis();
    if (c.slidingTtl()) {
      expires = Math.max(expires, Math.min(now + e.ttlMillis(), e.createdAtMillis() + c.maxTtlSeconds() * 1000));
    }
    hits.record(e.id(), now, expires);
    return e.withStats(new EntryStats(expires, e.hitCount() + 1, Math.max(now, e.lastHitAtMillis())));
  }

  @Override
  public void flushHits() {
    hits.flush();
  }

  // ---------------------------------------------------------------- maintenance

  @Override
  public void refreshIndex() {
    requests.refresh(indices.entries());
  }

  @Override
  public int sweep() {
    return writes.sweepExpired() + bounds.enforce();
  }

  // ---------------------------------------------------------------- figures

  @Override
  public long entryCount() {
    requests.refreshIfWritten(indices.entries());
    return requests.count(indices.entries(), null);
  }

  @Override
  public long entryCount(String namespace) {
    requests.refreshIfWritten(indices.entries());
    com.fasterxml.jackson.databind.node.ObjectNode q = ClusterClient.JSON.createObjectNode();
    q.putObject("term").put("namespace", namespace);
    return requests.count(indices.entries(), q);
  }

  @Override
  public long entryBytes() {
    return bounds.exactCounts().bytes();
  }

  /** Entries searchable now (as of the cluster's last refresh). */
  @Override
  public long indexedCount() {
    return requests.count(indices.entries(), null);
  }

  @Override
  public long evictionCount() {
    return bounds.evictions();
  }

  @Override
  public long expirationCount() {
    return writes.expirations();
  }

  // ---------------------------------------------------------------- analytics records

  @Override
  public void putRecords(Map<String, byte[]> batch) {
    records.put(batch);
  }

  @Override
  public Optional<byte[]> record(String key) {
    return records.get(key);
  }

  @Override
  public void forEachRecord(String prefix, BiConsumer<String, byte[]> action) {
    records.forEach(prefix, action);
  }

  @Override
  public String nodeId() {
    return nodeId;
  }

  public OpenSearchOptions clusterOptions() {
    return os;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName().replace('/', '-');
    } catch (java.io.IOException e) {
      return "node";
    }
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
      hits.flush();
    } catch (RuntimeException e) {
      LOG.warn("closing: {} hit counts not written ({})", hits.pendingCount(), e.getMessage());
    }
    cluster.close();
  }
}
