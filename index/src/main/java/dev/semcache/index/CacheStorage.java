package dev.semcache.index;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The seam between the cache's decisions and where its state lives: entries with their exact-match keys
 * and nearest search, namespace configs, analytics records, and figures. {@code SemanticCache} (in the
 * server) and everything above it talk to this interface only, so they cannot tell which backend runs.
 *
 * <p>Implementations: {@link EmbeddedCacheStorage} (the default: RocksDB entry store plus a Lucene HNSW
 * index in one local data directory) and, in the {@code storage-opensearch} module, a storage over an
 * OpenSearch k-NN cluster shared by any number of stateless semcache nodes. {@code
 * CacheStorageContractTest} (index test jar) is the contract every implementation passes.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Durability.</b> A call that returns has made its write durable (an acknowledged store survives
 *       a crash of this process and, for a cluster, of any one node holding a replica).
 *   <li><b>Visibility.</b> A stored entry is visible to {@link #findExact}, {@link #get} and
 *       {@link #probeExact} on return, and to {@link #findNearest} after {@link #refreshIndex} (which
 *       runs by itself within a small bounded delay).
 *   <li><b>Isolation.</b> Reads return only live entries of the asked namespace (and scope, where one is
 *       asked): never another namespace's, never an expired one, whatever the index says.
 *   <li><b>Similarity.</b> {@link #findNearest} reports the exact dot product of the query with the stored
 *       full-precision vector, most similar first.
 *   <li><b>Bounds.</b> A store evicts least recently hit entries first so that the namespace's {@code
 *       max_entries} and the storage's entry and byte bounds hold; sweeps reclaim expired entries.
 *   <li><b>Unavailability.</b> When the storage cannot answer (a cluster down or red) it throws {@link
 *       StorageUnavailableException}; it never answers as if nothing were stored.
 * </ul>
 * Implementations are thread-safe. Every method may block on I/O: call them off any event loop, except
 * {@link #probeExact} and {@link #cachedConfig}, which never block.
 */
public interface CacheStorage extends StorageFigures, AutoCloseable {

  // ---------------------------------------------------------------- namespaces

  /** The stored config of a namespace, or the defaults if it has none. */
  default NamespaceConfig config(String namespace) {
    return storedConfig(namespace).orElseGet(NamespaceConfig::defaults);
  }

  /** The stored config of a namespace, if it has one. */
  Optional<NamespaceConfig> storedConfig(String namespace);

  /**
   * The stored config of a namespace if this node has it in memory (no I/O; may be stale by the
   * backend's config refresh interval in a cluster); empty if it would need a read.
   */
  Optional<NamespaceConfig> cachedConfig(String namespace);

  /** Stores a namespace's config durably; the namespace exists from then on. */
  void putConfig(String namespace, NamespaceConfig config);

  /** Stores {@code config} unless the namespace already has one; returns the config in effect. */
  NamespaceConfig createConfigIfAbsent(String namespace, NamespaceConfig config);

  /** Names of all namespaces with a stored config, sorted. */
  List<String> namespaces();

  // ---------------------------------------------------------------- entries

  /**
   * Stores an answer, replacing an entry stored under the same namespace, scope and normalised prompt.
   *
   * @param ttlSeconds the entry's time to live, or null for the namespace's default
   * @throws IllegalArgumentException if the namespace name, TTL or vector is invalid
   */
  Entry store(String namespace, Scope scope, String prompt, String response, float[] embedding, Long ttlSeconds,
      Map<String, String> metadata);

  /**
   * Removes an entry of {@code namespace}.
   *
   * @return false if there is no such entry in that namespace
   */
  boolean delete(String namespace, String id);

  /**
   * Removes every entry of {@code namespace} stored under {@code scope}.
   *
   * @return entries removed
   */
  int invalidate(String namespace, Scope scope);

  /**
   * Records a hit: the hit count, recency, and the new expiry if the namespace's TTL slides. May be
   * written in batches ({@link #flushHits}); reads through this storage see it at once, and no
   * increment is lost, also when many nodes record hits on the same entry.
   *
   * @return the entry with its new statistics
   */
  Entry recordHit(Entry entry);

  /** Writes the hits recorded and not yet written. Runs by itself; tests call it to make them durable. */
  void flushHits();

  /** The live entry of {@code namespace} with this id. */
  Optional<Entry> get(String namespace, String id);

  /** The live entry stored under this namespace, scope and (normalised) prompt: the exact path. */
  Optional<Entry> findExact(String namespace, Scope scope, String prompt);

  /**
   * {@link #findExact} without blocking: from memory only, so it may run on an event loop. A backend
   * without such memory answers {@link ExactProbe.NeedsIo} and the caller asks {@link #findExact}.
   */
  ExactProbe probeExact(String namespace, Scope scope, String prompt);

  /**
   * The {@code k} live entries of (namespace, scope) nearest to {@code vector}, most similar first, with
   * exact similarities.
   */
  List<Match> findNearest(String namespace, Scope scope, float[] vector, int k);

  /** What the exact path found without blocking. */
  sealed interface ExactProbe {
    /**
     * The live entry stored under the prompt. Its embedding may be left out (an empty array): an exact
     * hit needs no vector, and a backend may skip decoding it.
     */
    record Hit(Entry entry) implements ExactProbe {}

    /** No live entry is stored under the prompt. */
    record Absent() implements ExactProbe {}

    /** The answer needs I/O: ask {@link #findExact} on a thread that may block. */
    record NeedsIo() implements ExactProbe {}
  }

  // ---------------------------------------------------------------- maintenance

  /** Makes every store so far visible to {@link #findNearest}. Runs by itself every refresh interval. */
  void refreshIndex();

  /**
   * Reclaims expired entries and enforces every bound. Runs by itself every sweep interval.
   *
   * @return entries removed
   */
  int sweep();

  // ---------------------------------------------------------------- analytics records

  /**
   * Writes analytics records (audit verdicts, statistics; a null value removes one) atomically and
   * durably: a record acknowledged to a caller survives a crash like an entry does. Keys and values are
   * opaque to the storage: the cache encodes them and versions their format.
   */
  void putRecords(Map<String, byte[]> records);

  /** The analytics record under {@code key}. */
  Optional<byte[]> record(String key);

  /** Calls {@code action} with every analytics record whose key starts with {@code prefix}, in key order. */
  void forEachRecord(String prefix, BiConsumer<String, byte[]> action);

  /**
   * A name for this node that is unique among the nodes sharing the storage ({@code "local"} for an
   * embedded storage, which has exactly one). Writers of per-node records, such as statistics that many
   * nodes count at once, key them by it so that no node overwrites another's increments.
   */
  default String nodeId() {
    return "local";
  }

  /** Writes what is pending and releases the storage. */
  @Override
  void close();
}
