package dev.semcache.index;

import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes, eviction and sweeps of an {@link EmbeddedCacheStorage}, and the index commits that must agree
 * with them.
 *
 * <p>A write goes to the store first (durable on return), then to the index. Writes reach the index out
 * of order when they run concurrently, so a commit records only the sequence below the oldest write
 * still on its way to the index ({@code inFlight}); recovery replays what follows. A namespace's {@code
 * max_entries} and the global entry and byte bounds are enforced when storing, by evicting the least
 * recently hit entries first (under a global bound, from the writer if it holds its fair share, else
 * from the largest namespace: see {@code evictForGlobalBound}); sweeps reclaim expired entries and
 * enforce the bounds again.
 */
final class EntryWrites {
  private static final Logger LOG = LoggerFactory.getLogger(EntryWrites.class);

  private final StorageOptions options;
  private final InstantSource clock;
  private final RocksEntryStore store;
  private final VectorIndex index;
  private final WriteGate gate;
  private final NamespaceConfigs configs;
  private final IndexDocuments documents;
  private final PendingHits hits;
  private final ConcurrentSkipListSet<Long> inFlight = new ConcurrentSkipListSet<>();
  private final AtomicLong evictions = new AtomicLong();
  private final AtomicLong expirations = new AtomicLong();

  EntryWrites(StorageOptions options, InstantSource clock, RocksEntryStore store, VectorIndex index, WriteGate gate,
      NamespaceConfigs configs, IndexDocuments documents, PendingHits hits) {
    this.options = options;
    this.clock = clock;
    this.store = store;
    this.index = index;
    this.gate = gate;
    this.configs = configs;
    this.documents = documents;
    this.hits = hits;
  }

  Entry store(String namespace, Scope scope, String prompt, String response, float[] embedding, Long ttlSeconds,
      Map<String, String> metadata) {
    Namespaces.requireValid(namespace);
    requireUnitVector(embedding);
    NamespaceConfig config = configs.config(namespace);
    long ttl = config.ttlMillisFor(ttlSeconds);
    long now = clock.millis();
    Entry entry = new Entry(UUID.randomUUID().toString().replace("-", ""), namespace, scope, prompt, response,
        embedding.clone(), now, ttl, now + ttl, 0, now, metadata);
    long first;
    long size = EntryCodec.encode(entry).length;
    gate.lock();
    try {
      gate.ensureOpen();
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
      gate.unlock();
    }
    try {
      for (Change c : store.changesAfter(first - 1, 2)) {
        documents.apply(index, c);
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
      hits.flush(); // eviction reads the recency order: it must hold every hit so far
    }
    while (store.count(namespace) >= config.maxEntries()) {
      if (!evictOldest(namespace)) {
        break;
      }
    }
    while (store.count() >= options.maxEntries() || store.bytes() + size > options.maxBytes()) {
      if (!evictForGlobalBound(namespace)) {
        break;
      }
    }
  }

  /**
   * Makes room under a global bound without letting one namespace's writes empty another: the writer's
   * own least recently hit entry goes if the writer holds at least its fair share of the entries (the
   * total over the number of namespaces), else the least recently hit entry of the namespace that holds
   * the most. A namespace within its fair share never loses entries to another's writes. (A global LRU
   * let a bulk writer evict every other namespace's entries.)
   *
   * @param writer the namespace storing, or null for a sweep
   */
  private boolean evictForGlobalBound(String writer) {
    List<String> all = store.namespaces();
    long total = store.count();
    int n = Math.max(1, all.size() + (writer != null && !all.contains(writer) ? 1 : 0));
    String victim = null;
    if (writer != null && store.count(writer) * n >= total) {
      victim = writer;
    } else {
      long most = 0;
      for (String ns : all) {
        long c = store.count(ns);
        if (c > most) {
          most = c;
          victim = ns;
        }
      }
    }
    return (victim != null && evictOldest(victim)) || evictOldest(null);
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

  /** Removes an entry from store and index; the caller holds the gate's lock. */
  private boolean removeLocked(String id) {
    long seq = store.remove(id);
    hits.forget(id);
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

  boolean delete(String namespace, String id) {
    Optional<Entry> e = store.get(id);
    if (e.isEmpty() || !e.get().namespace().equals(namespace)) {
      return false;
    }
    gate.lock();
    try {
      gate.ensureOpen();
      return removeLocked(id);
    } finally {
      gate.unlock();
    }
  }

  int invalidate(String namespace, Scope scope) {
    int removed = 0;
    for (String id : store.leastRecentlyHit(namespace, Integer.MAX_VALUE)) {
      Optional<Entry> e = store.get(id);
      if (e.isPresent() && e.get().namespace().equals(namespace) && e.get().scope().equals(scope)) {
        gate.lock();
        try {
          gate.ensureOpen();
          if (removeLocked(id)) {
            removed++;
          }
        } finally {
          gate.unlock();
        }
      }
    }
    return removed;
  }

  /** Re-writes the index expiry of every entry of a namespace, after its TTL settings changed. */
  int reindexExpiries(String namespace) {
    int n = 0;
    for (String id : store.leastRecentlyHit(namespace, Integer.MAX_VALUE)) {
      gate.lock();
      try {
        if (gate.isClosed()) {
          return n;
        }
        Optional<Entry> e = store.get(id);
        if (e.isPresent()) {
          documents.index(index, e.get());
          n++;
        }
      } finally {
        gate.unlock();
      }
    }
    LOG.info("namespace {}: TTL settings changed; index expiry of {} entries updated", namespace, n);
    return n;
  }

  /** Reclaims expired entries and enforces every bound; returns entries removed. */
  int sweep() {
    hits.flush(); // a pending sliding-TTL extension must reach the expiry order before it is read
    int removed = 0;
    long now = clock.millis();
    while (true) {
      List<String> expired = store.expiredAt(now, 1000);
      if (expired.isEmpty()) {
        break;
      }
      gate.lock();
      try {
        if (gate.isClosed()) {
          return removed;
        }
        for (String id : expired) {
          if (removeLocked(id)) {
            expirations.incrementAndGet();
            removed++;
          }
        }
      } finally {
        gate.unlock();
      }
    }
    gate.lock();
    try {
      if (!gate.isClosed()) {
        for (String ns : store.namespaces()) {
          NamespaceConfig c = configs.config(ns);
          while (store.count(ns) > c.maxEntries() && evictOldest(ns)) {
            removed++;
          }
        }
        while ((store.count() > options.maxEntries() || store.bytes() > options.maxBytes()) && evictForGlobalBound(null)) {
          removed++;
        }
      }
    } finally {
      gate.unlock();
    }
    return removed;
  }

  /** Makes the index durable up to the oldest write still in flight, and trims the change log. */
  void commitIndex() {
    long safe;
    gate.lock();
    try {
      if (gate.isClosed()) {
        return;
      }
      safe = safeSequence();
    } finally {
      gate.unlock();
    }
    if (safe > index.committedSequence()) {
      index.commit(safe);
      store.trimChangesThrough(safe);
    }
  }

  /** The last store sequence that the index holds with every write before it. */
  long safeSequence() {
    return inFlight.isEmpty() ? store.lastSequence() : inFlight.first() - 1;
  }

  long evictions() {
    return evictions.get();
  }

  long expirations() {
    return expirations.get();
  }

  private void requireUnitVector(float[] v) {
    UnitVectors.require(v, options.dimension());
  }

}
