package dev.semcache.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.lucene.util.VectorUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded {@link CacheStorage}, the default: everything the cache remembers in one local data
 * directory: the {@link EntryStore} (source of truth) and the {@link VectorIndex}
 * derived from it, kept consistent, expired and bounded.
 *
 * <h2>Consistency</h2>
 * A store writes the entry to RocksDB first (durable on return), then adds it to the index; a removal
 * does the same. The index is made durable by periodic commits that record the store sequence they
 * contain. Writes reach the index out of order when they run concurrently, so a commit records only the
 * sequence below the oldest write still on its way to the index ({@code inFlight}); on open, every
 * change after the recorded sequence is replayed (upserts and deletes are idempotent). An index that is
 * missing, unreadable, or ahead of the store is rebuilt from the stored embeddings, without the model.
 *
 * <h2>Reads never trust the index alone</h2>
 * Semantic search returns ids; each is read back from the store and kept only if it is live and
 * belongs to the asked namespace and scope, and its similarity is recomputed from the stored
 * full-precision vector (which also rescores a quantized index). A stale index can cost a hit, never
 * serve a wrong or expired one.
 *
 * <h2>Lifetimes and bounds</h2>
 * Expired entries are never served (reads check the expiry) and are reclaimed by sweeps. A namespace's
 * {@code max_entries} and the global entry and byte bounds are enforced when storing, by evicting the
 * least recently hit entries first. Time comes from an injected {@link InstantSource}.
 */
public final class EmbeddedCacheStorage implements CacheStorage {
  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedCacheStorage.class);
  private static final int REPLAY_BATCH = 10_000;

  private final Path dir;
  private final StorageOptions options;
  private final InstantSource clock;
  private final RocksEntryStore store;
  private final ReentrantLock writes = new ReentrantLock();
  private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong expirations = new AtomicLong();
  private final ScheduledExecutorService maintenance;
  /**
   * Hits recorded in memory and not yet written: one RocksDB write per hit would serialise every hit
   * behind the store's lock (measured: 20,000 hits/s at most, 45 us of CPU each). They are written in
   * one batch every {@link #HIT_FLUSH_INTERVAL}, before every sweep and on close; reads overlay them.
   * A process crash loses at most that interval of hit statistics (counts, recency, sliding-TTL
   * extensions), never an entry.
   */
  private final java.util.concurrent.ConcurrentHashMap<String, EntryStats> pendingHits =
      new java.util.concurrent.ConcurrentHashMap<>();
  static final java.time.Duration HIT_FLUSH_INTERVAL = java.time.Duration.ofMillis(100);

  /** Stored namespace configs, read once: every lookup needs its namespace's config. */
  private final Map<String, NamespaceConfig> configs = new java.util.concurrent.ConcurrentHashMap<>();
  private volatile VectorIndex index;
  private volatile boolean closed;

  private EmbeddedCacheStorage(Path dir, StorageOptions options, InstantSource clock, RocksEntryStore store) {
    this.dir = dir;
    this.options = options;
    this.clock = clock;
    this.store = store;
    this.maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "semcache-storage-maintenance");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Opens the storage in {@code dir} ({@code store/} and {@code index/} below it), recovering the
   * index from the store as needed, and starts the background refresh, commit and sweep.
   */
  public static EmbeddedCacheStorage open(Path dir, StorageOptions options, InstantSource clock) {
    RocksEntryStore store = RocksEntryStore.open(dir.resolve("store"), options.blockCacheBytes(), options.syncWrites());
    EmbeddedCacheStorage storage = new EmbeddedCacheStorage(dir, options, clock, store);
    try {
      storage.index = storage.recoverIndex();
    } catch (RuntimeException e) {
      store.close();
      throw e;
    }
    storage.schedule(options);
    return storage;
  }

  private void schedule(StorageOptions o) {
    every(o.refreshInterval().toMillis(), "refresh", this::refreshIndex);
    every(o.commitInterval().toMillis(), "commit", this::commitIndex);
    every(o.sweepInterval().toMillis(), "sweep", this::sweep);
    every(HIT_FLUSH_INTERVAL.toMillis(), "hit flush", this::flushHits);
  }

  private void every(long millis, String what, Runnable task) {
    maintenance.scheduleWithFixedDelay(() -> {
      try {
        if (!closed) {
          task.run();
        }
      } catch (RuntimeException e) {
        LOG.error("background {} failed; it will run again in {} ms", what, millis, e);
      }
    }, millis, millis, TimeUnit.MILLISECONDS);
  }

  private VectorIndex recoverIndex() {
    Path indexDir = dir.resolve("index");
    long start = System.nanoTime();
    LuceneVectorIndex opened;
    try {
      opened = openIndex(indexDir);
    } catch (IOException e) {
      LOG.warn("the vector index in {} is unreadable ({}); rebuilding it from the store", indexDir, e.toString());
      Directories.deleteRecursively(indexDir);
      opened = openIndexOrFail(indexDir);
    }
    long committed = opened.committedSequence();
    if (committed == 0 || committed > store.lastSequence()) {
      if (committed > store.lastSequence()) {
        LOG.warn("the index records store sequence {} but the store ends at {}; rebuilding it",
            committed, store.lastSequence());
        opened.close();
        Directories.deleteRecursively(indexDir);
        opened = openIndexOrFail(indexDir);
      }
      rebuild(opened);
    } else {
      replay(opened, committed);
    }
    opened.refresh();
    LOG.info("vector index ready: {} entries, store sequence {}, {} ms", opened.size(), store.lastSequence(),
        (System.nanoTime() - start) / 1_000_000);
    return opened;
  }

  private LuceneVectorIndex openIndex(Path indexDir) throws IOException {
    Files.createDirectories(indexDir);
    return LuceneVectorIndex.open(indexDir, options.vectorFormat(), options.maxConn(), options.beamWidth(),
        options.candidates());
  }

  private LuceneVectorIndex openIndexOrFail(Path indexDir) {
    try {
      return openIndex(indexDir);
    } catch (IOException e) {
      throw new StoreException("cannot create a vector index in " + indexDir + ": " + e.getMessage(), e);
    }
  }

  private void rebuild(LuceneVectorIndex target) {
    long upTo = store.lastSequence();
    long now = clock.millis();
    AtomicLong n = new AtomicLong();
    store.forEachEntry(e -> {
      if (e.isLiveAt(now)) {
        target.upsert(e.id(), Keys.partition(e.namespace(), e.scope()), indexExpiry(e), e.embedding());
        if (n.incrementAndGet() % 100_000 == 0) {
          LOG.info("rebuilding the vector index: {} entries so far", n.get());
        }
      }
    });
    target.commit(upTo);
    store.trimChangesThrough(upTo);
    LOG.info("rebuilt the vector index from the store: {} live entries", n.get());
  }

  private void replay(LuceneVectorIndex target, long committed) {
    long from = committed;
    int replayed = 0;
    while (true) {
      List<Change> changes = store.changesAfter(from, REPLAY_BATCH);
      if (changes.isEmpty()) {
        break;
      }
      for (Change c : changes) {
        applyToIndex(target, c);
        from = c.sequence();
        replayed++;
      }
    }
    if (replayed > 0) {
      target.commit(from);
      store.trimChangesThrough(from);
      LOG.info("replayed {} store changes into the vector index (sequence {} to {})", replayed, committed, from);
    }
  }

  private void applyToIndex(VectorIndex target, Change c) {
    Optional<Entry> e = c.upsert() ? store.get(c.entryId()) : Optional.empty();
    if (e.isPresent()) {
      Entry entry = e.get();
      target.upsert(entry.id(), Keys.partition(entry.namespace(), entry.scope()), indexExpiry(entry), entry.embedding());
    } else {
      target.delete(c.entryId());
    }
  }

  /**
   * The expiry the index filters on. With a sliding TTL the entry's expiry moves on every hit, which
   * the index is not told about; it filters on the cap instead ({@code max_ttl_s} after creation), and
   * the store's expiry decides.
   */
  private long indexExpiry(Entry e) {
    NamespaceConfig c = config(e.namespace());
    return c.slidingTtl() ? Math.max(e.expiresAtMillis(), e.createdAtMillis() + c.maxTtlSeconds() * 1000) : e.expiresAtMillis();
  }

  // ---------------------------------------------------------------- namespaces

  /** The stored config of a namespace, if it has one. */
  @Override
  public Optional<NamespaceConfig> storedConfig(String namespace) {
    NamespaceConfig cached = configs.get(namespace);
    if (cached != null) {
      return Optional.of(cached);
    }
    Optional<NamespaceConfig> stored = store.namespace(namespace);
    stored.ifPresent(c -> configs.putIfAbsent(namespace, c));
    return stored;
  }

  /** The stored config of a namespace if it has been read before (no store access). */
  @Override
  public Optional<NamespaceConfig> cachedConfig(String namespace) {
    return Optional.ofNullable(configs.get(namespace));
  }

  /** Stores a namespace's config durably; the namespace exists from then on. */
  @Override
  public void putConfig(String namespace, NamespaceConfig config) {
    NamespaceConfig before;
    writes.lock();
    try {
      ensureOpen();
      before = config(namespace);
      store.putNamespace(namespace, config);
      configs.put(namespace, config);
    } finally {
      writes.unlock();
    }
    if (before.slidingTtl() != config.slidingTtl() || (config.slidingTtl() && before.maxTtlSeconds() != config.maxTtlSeconds())) {
      // The index filters on an expiry that depends on these settings (see indexExpiry): bring the
      // namespace's documents up to date in the background; the store's expiry decides meanwhile.
      maintenance.execute(() -> reindexExpiries(namespace));
    }
  }

  /**
   * Re-writes the index expiry of every entry of a namespace, after its TTL settings changed.
   *
   * @return entries re-indexed
   */
  public int reindexExpiries(String namespace) {
    int n = 0;
    for (String id : store.leastRecentlyHit(namespace, Integer.MAX_VALUE)) {
      writes.lock();
      try {
        if (closed) {
          return n;
        }
        Optional<Entry> e = store.get(id);
        if (e.isPresent()) {
          Entry entry = e.get();
          index.upsert(entry.id(), Keys.partition(entry.namespace(), entry.scope()), indexExpiry(entry), entry.embedding());
          n++;
        }
      } finally {
        writes.unlock();
      }
    }
    LOG.info("namespace {}: TTL settings changed; index expiry of {} entries updated", namespace, n);
    return n;
  }

  /** Stores {@code config} unless the namespace already has one; returns the config in effect. */
  @Override
  public NamespaceConfig createConfigIfAbsent(String namespace, NamespaceConfig config) {
    Optional<NamespaceConfig> existing = storedConfig(namespace);
    if (existing.isPresent()) {
      return existing.get();
    }
    writes.lock();
    try {
      ensureOpen();
      Optional<NamespaceConfig> again = store.namespace(namespace);
      if (again.isPresent()) {
        return again.get();
      }
      store.putNamespace(namespace, config);
      configs.put(namespace, config);
      return config;
    } finally {
      writes.unlock();
    }
  }

  @Override
  public List<String> namespaces() {
    return store.namespaces();
  }

  // ---------------------------------------------------------------- writes

  /**
   * Stores an answer. Visible to exact lookups on return, to semantic search within the refresh
   * interval. Replaces an entry stored under the same namespace, scope and normalised prompt.
   *
   * @param ttlSeconds the entry's time to live, or null for the namespace's default
   * @throws IllegalArgumentException if the namespace name, TTL or vector is invalid
   */
  @Override
  public Entry store(String namespace, Scope scope, String prompt, String response, float[] embedding,
      Long ttlSeconds, Map<String, String> metadata) {
    Namespaces.requireValid(namespace);
    requireUnitVector(embedding);
    NamespaceConfig config = config(namespace);
    long ttl = config.ttlMillisFor(ttlSeconds);
    long now = clock.millis();
    Entry entry = new Entry(UUID.randomUUID().toString().replace("-", ""), namespace, scope, prompt, response,
        embedding.clone(), now, ttl, now + ttl, 0, now, metadata);
    long first;
    long size = EntryCodec.encode(entry).length;
    writes.lock();
    try {
      ensureOpen();
      makeRoom(namespace, config, size);
      first = store.lastSequence() + 1;
      inFlight.add(first);
      try {
        store.put(entry);
      } catch (RuntimeException e) {
        inFlight.remove(first);
        throw e;
      }
    } finally {
      writes.unlock();
    }
    try {
      for (Change c : store.changesAfter(first - 1, 2)) {
        applyToIndex(index, c);
      }
    } finally {
      inFlight.remove(first);
    }
    return entry;
  }

  /** Evicts least recently hit entries until one more of {@code size} bytes fits every bound. */
  private void makeRoom(String namespace, NamespaceConfig config, long size) {
    boolean full = store.count(namespace) >= config.maxEntries() || store.count() >= options.maxEntries()
        || store.bytes() + size > options.maxBytes();
    if (full) {
      flushHits(); // eviction reads the recency order: it must hold every hit so far
    }
    while (store.count(namespace) >= config.maxEntries()) {
      if (!evictOldest(namespace)) {
        break;
      }
    }
    while (store.count() >= options.maxEntries() || store.bytes() + size > options.maxBytes()) {
      if (!evictOldest(null)) {
        break;
      }
    }
  }

  private boolean evictOldest(String namespace) {
    List<String> oldest = store.leastRecentlyHit(namespace, 1);
    if (oldest.isEmpty()) {
      return false;
    }
    removeLocked(oldest.get(0));
    evictions.incrementAndGet();
    return true;
  }

  /** Removes an entry from store and index; the caller holds {@link #writes}. */
  private boolean removeLocked(String id) {
    long seq = store.remove(id);
    pendingHits.remove(id);
    if (seq < 0) {
      return false;
    }
    inFlight.add(seq);
    try {
      index.delete(id);
    } finally {
      inFlight.remove(seq);
    }
    return true;
  }

  /**
   * Removes an entry of {@code namespace}.
   *
   * @return false if there is no such entry in that namespace
   */
  @Override
  public boolean delete(String namespace, String id) {
    Optional<Entry> e = store.get(id);
    if (e.isEmpty() || !e.get().namespace().equals(namespace)) {
      return false;
    }
    writes.lock();
    try {
      ensureOpen();
      return removeLocked(id);
    } finally {
      writes.unlock();
    }
  }

  /**
   * Removes every entry of {@code namespace} stored under {@code scope}.
   *
   * @return entries removed
   */
  @Override
  public int invalidate(String namespace, Scope scope) {
    int removed = 0;
    for (String id : store.leastRecentlyHit(namespace, Integer.MAX_VALUE)) {
      Optional<Entry> e = store.get(id);
      if (e.isPresent() && e.get().namespace().equals(namespace) && e.get().scope().equals(scope)) {
        writes.lock();
        try {
          ensureOpen();
          if (removeLocked(id)) {
            removed++;
          }
        } finally {
          writes.unlock();
        }
      }
    }
    return removed;
  }

  /**
   * Records a hit: statistics, recency, and the new expiry if the namespace's TTL slides. Kept in memory
   * and written within {@link #HIT_FLUSH_INTERVAL} (see {@link #pendingHits}); reads see it at once.
   */
  @Override
  public Entry recordHit(Entry e) {
    long now = clock.millis();
    NamespaceConfig c = config(e.namespace());
    EntryStats stats = pendingHits.compute(e.id(), (id, pending) -> {
      EntryStats base = pending != null ? pending : e.stats();
      long expires = base.expiresAtMillis();
      if (c.slidingTtl()) {
        expires = Math.max(expires, Math.min(now + e.ttlMillis(), e.createdAtMillis() + c.maxTtlSeconds() * 1000));
      }
      return new EntryStats(expires, base.hitCount() + 1, Math.max(now, base.lastHitAtMillis()));
    });
    return e.withStats(stats);
  }

  /** Writes the hits recorded since the last flush, in one batch. Runs by itself every 100 ms. */
  @Override
  public void flushHits() {
    if (pendingHits.isEmpty()) {
      return;
    }
    Map<String, EntryStats> batch = new java.util.HashMap<>(pendingHits);
    store.updateStats(batch);
    // Only what was written leaves the map: a hit recorded meanwhile stays, with its newer figures.
    batch.forEach(pendingHits::remove);
  }

  /** The entry with the hits recorded in memory and not yet written. */
  private Entry withPendingHits(Entry e) {
    EntryStats pending = pendingHits.get(e.id());
    return pending == null ? e : e.withStats(pending);
  }

  // ---------------------------------------------------------------- reads

  /** The live entry of {@code namespace} with this id. */
  @Override
  public Optional<Entry> get(String namespace, String id) {
    long now = clock.millis();
    return store.get(id).map(this::withPendingHits).filter(e -> e.namespace().equals(namespace) && e.isLiveAt(now));
  }

  /** The live entry stored under this namespace, scope and (normalised) prompt: the exact path. */
  @Override
  public Optional<Entry> findExact(String namespace, Scope scope, String prompt) {
    long now = clock.millis();
    return store.exactId(Keys.exact(namespace, scope, prompt))
        .flatMap(store::get)
        .map(this::withPendingHits)
        .filter(e -> e.isLiveAt(now) && e.namespace().equals(namespace) && e.scope().equals(scope));
  }

  private static final ExactProbe ABSENT = new ExactProbe.Absent();
  private static final ExactProbe NEEDS_IO = new ExactProbe.NeedsIo();

  /**
   * {@link #findExact} from memory only (memtables and the block cache): never blocks on the disk, so
   * it may run on an event loop. Hot entries, the common case of repeated prompts, are answered here.
   */
  @Override
  public ExactProbe probeExact(String namespace, Scope scope, String prompt) {
    long now = clock.millis();
    try {
      Optional<String> id = store.exactIdInMemory(Keys.exact(namespace, scope, prompt));
      if (id.isEmpty()) {
        return ABSENT;
      }
      Optional<Entry> e = store.getInMemory(id.get()).map(this::withPendingHits)
          .filter(x -> x.isLiveAt(now) && x.namespace().equals(namespace) && x.scope().equals(scope));
      return e.<ExactProbe>map(ExactProbe.Hit::new).orElse(ABSENT);
    } catch (RocksEntryStore.NeedsIo needsIo) {
      return NEEDS_IO;
    }
  }

  /**
   * The {@code k} live entries of (namespace, scope) nearest to {@code vector}, most similar first,
   * with exact similarities.
   */
  @Override
  public List<Match> findNearest(String namespace, Scope scope, float[] vector, int k) {
    long now = clock.millis();
    List<Match> out = new ArrayList<>(k);
    for (Neighbor n : index.search(Keys.partition(namespace, scope), vector, k, now)) {
      store.get(n.entryId())
          .map(this::withPendingHits)
          .filter(e -> e.isLiveAt(now) && e.namespace().equals(namespace) && e.scope().equals(scope))
          .ifPresent(e -> out.add(new Match(e, VectorUtil.dotProduct(vector, e.embedding()))));
    }
    out.sort(Comparator.comparingDouble(Match::similarity).reversed());
    return out;
  }

  // ---------------------------------------------------------------- maintenance

  /** Makes every store so far visible to semantic search (runs every refresh interval by itself). */
  @Override
  public void refreshIndex() {
    index.refresh();
  }

  /** Makes the index durable up to the oldest write still in flight, and trims the change log. */
  public void commitIndex() {
    long safe;
    writes.lock();
    try {
      if (closed) {
        return;
      }
      safe = inFlight.isEmpty() ? store.lastSequence() : inFlight.first() - 1;
    } finally {
      writes.unlock();
    }
    if (safe > index.committedSequence()) {
      index.commit(safe);
      store.trimChangesThrough(safe);
    }
  }

  /**
   * Reclaims expired entries and enforces every bound. Runs every sweep interval by itself.
   *
   * @return entries removed
   */
  @Override
  public int sweep() {
    flushHits(); // a pending sliding-TTL extension must reach the expiry order before it is read
    int removed = 0;
    long now = clock.millis();
    while (true) {
      List<String> expired = store.expiredAt(now, 1000);
      if (expired.isEmpty()) {
        break;
      }
      writes.lock();
      try {
        if (closed) {
          return removed;
        }
        for (String id : expired) {
          if (removeLocked(id)) {
            expirations.incrementAndGet();
            removed++;
          }
        }
      } finally {
        writes.unlock();
      }
    }
    writes.lock();
    try {
      if (!closed) {
        for (String ns : store.namespaces()) {
          NamespaceConfig c = config(ns);
          while (store.count(ns) > c.maxEntries() && evictOldest(ns)) {
            removed++;
          }
        }
        while ((store.count() > options.maxEntries() || store.bytes() > options.maxBytes()) && evictOldest(null)) {
          removed++;
        }
      }
    } finally {
      writes.unlock();
    }
    return removed;
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
    return evictions.get();
  }

  @Override
  public long expirationCount() {
    return expirations.get();
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

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("cache storage in " + dir + " is closed");
    }
  }

  private void requireUnitVector(float[] v) {
    UnitVectors.require(v, options.dimension());
  }

  // ---------------------------------------------------------------- analytics records

  /**
   * Writes analytics records (audit verdicts, statistics; a null value removes one) atomically, through
   * the write-ahead log: a
   * record acknowledged to a caller survives a process crash like an entry does.
   */
  @Override
  public void putRecords(Map<String, byte[]> records) {
    if (!records.isEmpty()) {
      store.putRecords(records);
    }
  }

  /** The analytics record under {@code key}. */
  @Override
  public Optional<byte[]> record(String key) {
    return store.record(key);
  }

  /** Every analytics record whose key starts with {@code prefix}, in key order. */
  @Override
  public void forEachRecord(String prefix, java.util.function.BiConsumer<String, byte[]> action) {
    store.forEachRecord(prefix, action);
  }

  /** Stops background work, commits the index, and closes index and store. */
  @Override
  public void close() {
    writes.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      writes.unlock();
    }
    maintenance.shutdown();
    try {
      maintenance.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flushHits();
    long seq = inFlight.isEmpty() ? store.lastSequence() : inFlight.first() - 1;
    index.commit(seq);
    store.trimChangesThrough(seq);
    index.close();
    store.close();
  }
}
