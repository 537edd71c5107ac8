package dev.semcache.index;

import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/**
 * The embedded {@link CacheStorage}, the default: everything the cache remembers in one local data
 * directory: a RocksDB {@link EntryStore} (the source of truth, {@code store/}) and a Lucene HNSW {@link
 * VectorIndex} derived from it ({@code index/}), kept consistent, expired and bounded.
 *
 * <p>This class wires the pieces and answers the interface; each concern lives in its own class:
 * <ul>
 *   <li>{@link IndexRecovery}: opening the index consistent with the store (replay, or rebuild from the
 *       stored embeddings without the model);
 *   <li>{@link NamespaceConfigs}: configs, read once and kept in memory;
 *   <li>{@link EntryWrites}: stores, removals, eviction, sweeps, and the index commits that must agree
 *       with them;
 *   <li>{@link EntryReads}: exact, by-id and nearest reads, which never trust the index alone;
 *   <li>{@link PendingHits}: hit statistics, batched in memory and overlaid on reads;
 *   <li>{@link StorageMaintenance}: the background refresh, commit, sweep and hit flush;
 *   <li>{@link IndexCompactor}: merging the index down to a few segments once it has gone quiet.
 * </ul>
 * Time comes from an injected {@link InstantSource}.
 */
public final class EmbeddedCacheStorage implements CacheStorage {
  private final Path dir;
  private final StorageOptions options;
  private final RocksEntryStore store;
  private final WriteGate gate;
  private final NamespaceConfigs configs;
  private final PendingHits hits;
  private final LuceneVectorIndex index;
  private final EntryWrites writes;
  private final EntryReads reads;
  private final StorageMaintenance maintenance;
  private final IndexCompactor compactor;

  private EmbeddedCacheStorage(Path dir, StorageOptions options, InstantSource clock, RocksEntryStore store) {
    this.dir = dir;
    this.options = options;
    this.store = store;
    this.gate = new WriteGate("cache storage in " + dir);
    this.configs = new NamespaceConfigs(store, gate);
    IndexDocuments documents = new IndexDocuments(store, configs);
    this.index = new IndexRecovery(options, clock, store, documents).recover(dir.resolve("index"));
    this.hits = new PendingHits(store, clock, configs);
    this.writes = new EntryWrites(options, clock, store, index, gate, configs, documents, hits);
    this.reads = new EntryReads(store, index, clock, hits);
    this.maintenance = new StorageMaintenance(gate::isClosed);
    this.compactor = new IndexCompactor(index, options.compaction());
  }

  /**
   * Opens the storage in {@code dir} ({@code store/} and {@code index/} below it), recovering the
   * index from the store as needed, and starts the background refresh, commit and sweep.
   */
  public static EmbeddedCacheStorage open(Path dir, StorageOptions options, InstantSource clock) {
    RocksEntryStore store = RocksEntryStore.open(dir.resolve("store"), options.blockCacheBytes(), options.syncWrites());
    EmbeddedCacheStorage storage;
    try {
      storage = new EmbeddedCacheStorage(dir, options, clock, store);
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    storage.schedule();
    return storage;
  }

  private void schedule() {
    maintenance.every(options.refreshInterval().toMillis(), "refresh", this::refreshIndex);
    maintenance.every(options.commitInterval().toMillis(), "commit", writes::commitIndex);
    maintenance.every(options.sweepInterval().toMillis(), "sweep", this::sweep);
    maintenance.every(PendingHits.FLUSH_INTERVAL.toMillis(), "hit flush", hits::flush);
    if (options.compaction().enabled()) {
      maintenance.every(options.compaction().idle().toMillis(), "compaction check", compactor::check);
    }
  }

  // ---------------------------------------------------------------- namespaces

  @Override
  public Optional<NamespaceConfig> storedConfig(String namespace) {
    return configs.stored(namespace);
  }

  @Override
  public Optional<NamespaceConfig> cachedConfig(String namespace) {
    return configs.inMemory(namespace);
  }

  @Override
  public void putConfig(String namespace, NamespaceConfig config) {
    NamespaceConfig before = configs.put(namespace, config);
    if (before.slidingTtl() != config.slidingTtl() || (config.slidingTtl() && before.maxTtlSeconds() != config.maxTtlSeconds())) {
      // The index filters on an expiry that depends on these settings (see IndexDocuments.indexExpiry):
      // bring the namespace's documents up to date in the background; the store's expiry decides meanwhile.
      maintenance.once(() -> writes.reindexExpiries(namespace));
    }
  }

  /**
   * Re-writes the index expiry of every entry of a namespace, after its TTL settings changed (runs by
   * itself after {@link #putConfig}).
   *
   * @return entries re-indexed
   */
  public int reindexExpiries(String namespace) {
    return writes.reindexExpiries(namespace);
  }

  @Override
  public NamespaceConfig createConfigIfAbsent(String namespace, NamespaceConfig config) {
    return configs.createIfAbsent(namespace, config);
  }

  @Override
  public List<String> namespaces() {
    return configs.names();
  }

  // ---------------------------------------------------------------- entries

  @Override
  public Entry store(String namespace, Scope scope, String prompt, String response, float[] embedding,
      Long ttlSeconds, Map<String, String> metadata) {
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

  @Override
  public Entry recordHit(Entry e) {
    return hits.record(e);
  }

  @Override
  public void flushHits() {
    hits.flush();
  }

  @Override
  public Optional<Entry> get(String namespace, String id) {
    return reads.get(namespace, id);
  }

  @Override
  public Optional<Entry> findExact(String namespace, Scope scope, String prompt) {
    return reads.findExact(namespace, scope, prompt);
  }

  @Override
  public ExactProbe probeExact(String namespace, Scope scope, String prompt) {
    return reads.probeExact(namespace, scope, prompt);
  }

  @Override
  public List<Match> findNearest(String namespace, Scope scope, float[] vector, int k) {
    return reads.findNearest(namespace, scope, vector, k);
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Force-merges the vector index to at most {@code maxSegments} segments, committing and refreshing it
   * (minutes for a million entries; writes and reads go on meanwhile). For the operator after a bulk
   * load, through {@code semcache compact-index}: a large index searches fastest in two segments
   * (bench/README.md, issue 15), while Lucene's own merging leaves about nine at a million entries.
   *
   * @return the segments after the merge
   */
  public int compactIndex(int maxSegments) {
    if (maxSegments < 1) {
      throw new IllegalArgumentException("segments must be at least 1; segments=" + maxSegments);
    }
    index.forceMerge(maxSegments);
    return index.segmentCount();
  }

  @Override
  public java.util.OptionalInt indexSegments() {
    return java.util.OptionalInt.of(index.segmentCount());
  }

  @Override
  public long indexCompactions() {
    return compactor.compactions();
  }

  /** Whether the index is being merged down on its own ({@link CompactionPolicy}) right now. */
  public boolean compacting() {
    return compactor.running();
  }

  @Override
  public void refreshIndex() {
    index.refresh();
  }

  /** Makes the index durable up to the oldest write still in flight (runs every commit interval by itself). */
  public void commitIndex() {
    writes.commitIndex();
  }

  @Override
  public int sweep() {
    return writes.sweep();
  }

  // ---------------------------------------------------------------- figures

  @Override
  public long entryCount() {
    return store.count();
  }

  @Override
  public long entryCount(String namespace) {
    return store.count(namespace);
  }

  @Override
  public long entryBytes() {
    return store.bytes();
  }

  @Override
  public long evictionCount() {
    return writes.evictions();
  }

  @Override
  public long expirationCount() {
    return writes.expirations();
  }

  @Override
  public long indexedCount() {
    return index.size();
  }

  public StorageOptions options() {
    return options;
  }

  @Override
  public String toString() {
    return "EmbeddedCacheStorage{dir=" + dir + ", " + options + "}";
  }

  /** The store underneath, for tests and tools that check it directly. */
  EntryStore store() {
    return store;
  }

  // ---------------------------------------------------------------- analytics records

  @Override
  public void putRecords(Map<String, byte[]> records) {
    if (!records.isEmpty()) {
      store.putRecords(records);
    }
  }

  @Override
  public Optional<byte[]> record(String key) {
    return store.record(key);
  }

  @Override
  public void forEachRecord(String prefix, BiConsumer<String, byte[]> action) {
    store.forEachRecord(prefix, action);
  }

  /** Stops background work, writes pending hits, commits the index, and closes index and store. */
  @Override
  public void close() {
    if (!gate.close()) {
      return;
    }
    maintenance.stop();
    compactor.stop();
    hits.flush();
    long seq = writes.safeSequence();
    index.commit(seq);
    store.trimChangesThrough(seq);
    index.close();
    store.close();
  }
}
