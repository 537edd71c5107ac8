package dev.semcache.index;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * {@link EntryStore} on RocksDB. Column families (keys; values):
 * <ul>
 *   <li>{@code entries}: id; {@link EntryCodec entry value}
 *   <li>{@code stats}: id; {@link EntryCodec stats value} (expiry, hit count, last hit)
 *   <li>{@code exact}: {@link Keys#exact}; id
 *   <li>{@code expiry}: i64 expires_at, id; empty
 *   <li>{@code recency}: namespace, 0x00, i64 last_hit_at, id; empty (per-namespace LRU order)
 *   <li>{@code recency_all}: i64 last_hit_at, id; empty (global LRU order)
 *   <li>{@code changes}: i64 sequence; u8 op (1 upsert, 2 remove), id
 *   <li>{@code namespaces}: namespace; {@link NamespaceConfigCodec JSON}
 *   <li>{@code audits}: reserved for audit records
 *   <li>{@code meta}: {@code seq}, {@code bytes}, {@code count} 0x00 namespace; i64
 * </ul>
 * Integers in keys are big-endian so that byte order is numeric order. Writes are serialised by one
 * lock: each is a read-modify-write of counters and secondary keys, and RocksDB applies a batch in
 * microseconds, far below the rate at which a cache stores model answers.
 */
public final class RocksEntryStore implements EntryStore {
  private static final byte OP_UPSERT = 1;
  private static final byte OP_REMOVE = 2;
  private static final byte[] SEQ = bytes("seq");
  private static final byte[] BYTES = bytes("bytes");
  private static final String COUNT_PREFIX = "count\0";

  private final RocksConfig config;
  private final RocksDB db;
  private final List<ColumnFamilyHandle> handles;
  private final ColumnFamilyHandle entries, stats, exact, expiry, recency, recencyAll, changes, namespaces, audits, meta;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final Map<String, Long> counts = new ConcurrentHashMap<>();
  private volatile long sequence;
  private volatile long totalBytes;
  private volatile boolean closed;
  /**
   * The decoded, unchanging parts of recently hit entries (without embeddings): an entry's value in
   * {@code entries} never changes under its id (ids are never reused; hits and expiry live in {@code
   * stats}), so the exact path reads only the small stats value of a hot entry, whose presence also says
   * the entry is still there, instead of its whole value with 1.5 KiB of embedding, and skips decoding
   * its text. Bounded by the text it holds ({@link #HOT_ENTRY_BYTES}); removals drop their entry.
   */
  private final Cache<String, Entry> hotEntries = Caffeine.newBuilder()
      .maximumWeight(HOT_ENTRY_BYTES)
      .weigher((String id, Entry e) -> 128 + 2 * (e.prompt().length() + e.response().length()
          + e.metadata().toString().length() + e.scope().toString().length()))
      .build();
  /** The most text {@link #hotEntries} holds, in bytes of Java strings (about). */
  static final long HOT_ENTRY_BYTES = 32L << 20;

  private RocksEntryStore(RocksConfig config, RocksDB db, List<ColumnFamilyHandle> handles) throws RocksDBException {
    this.config = config;
    this.db = db;
    this.handles = handles;
    // handles[0] is the default column family, then RocksConfig.COLUMN_FAMILIES in order
    this.entries = handles.get(1);
    this.stats = handles.get(2);
    this.exact = handles.get(3);
    this.expiry = handles.get(4);
    this.recency = handles.get(5);
    this.recencyAll = handles.get(6);
    this.changes = handles.get(7);
    this.namespaces = handles.get(8);
    this.audits = handles.get(9);
    this.meta = handles.get(10);
    this.sequence = readLong(db.get(meta, SEQ));
    this.totalBytes = readLong(db.get(meta, BYTES));
    try (RocksIterator it = db.newIterator(meta)) {
      byte[] prefix = bytes(COUNT_PREFIX);
      for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
        String ns = new String(it.key(), prefix.length, it.key().length - prefix.length, StandardCharsets.UTF_8);
        counts.put(ns, readLong(it.value()));
      }
    }
  }

  /**
   * Opens (creating if needed) the store in {@code dir}.
   *
   * @param blockCacheBytes size of the block cache shared by all column families
   * @param syncWrites fsync the write-ahead log on every write (power-loss durability)
   */
  public static RocksEntryStore open(Path dir, long blockCacheBytes, boolean syncWrites) {
    RocksConfig config = new RocksConfig(blockCacheBytes, syncWrites);
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try {
      Files.createDirectories(dir);
      RocksDB db = RocksDB.open(config.db, dir.toString(), config.descriptors(), handles);
      return new RocksEntryStore(config, db, handles);
    } catch (RocksDBException | java.io.IOException e) {
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      config.close();
      throw new StoreException("cannot open the entry store in " + dir + ": " + e.getMessage(), e);
    }
  }

  @Override
  public long put(Entry entry) {
    Namespaces.requireValid(entry.namespace());
    byte[] id = bytes(entry.id());
    byte[] value = EntryCodec.encode(entry);
    byte[] exactKey = Keys.exact(entry.namespace(), entry.scope(), entry.prompt());
    writeLock.lock();
    try (WriteBatch batch = new WriteBatch()) {
      ensureOpen();
      long seq = sequence;
      long bytes = totalBytes;
      Map<String, Long> countDelta = new java.util.HashMap<>();
      byte[] previous = db.get(exact, exactKey);
      if (previous != null && !Arrays.equals(previous, id)) {
        Optional<Entry> old = get(new String(previous, StandardCharsets.UTF_8));
        if (old.isPresent()) {
          bytes -= removeInto(batch, old.get(), ++seq);
          countDelta.merge(old.get().namespace(), -1L, Long::sum);
        }
      }
      if (db.get(entries, id) != null) {
        throw new IllegalArgumentException("entry id " + entry.id() + " is taken");
      }
      batch.put(entries, id, value);
      batch.put(stats, id, EntryCodec.encodeStats(entry.stats()));
      batch.put(exact, exactKey, id);
      batch.put(expiry, timeKey(entry.expiresAtMillis(), id), new byte[0]);
      batch.put(recency, recencyKey(entry.namespace(), entry.lastHitAtMillis(), id), new byte[0]);
      batch.put(recencyAll, timeKey(entry.lastHitAtMillis(), id), new byte[0]);
      batch.put(changes, longBytes(++seq), change(OP_UPSERT, id));
      bytes += value.length;
      countDelta.merge(entry.namespace(), 1L, Long::sum);
      commit(batch, seq, bytes, countDelta);
      return seq;
    } catch (RocksDBException e) {
      throw new StoreException("cannot store entry " + entry.id() + ": " + e.getMessage(), e);
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public long remove(String id) {
    writeLock.lock();
    try (WriteBatch batch = new WriteBatch()) {
      ensureOpen();
      Optional<Entry> old = get(id);
      if (old.isEmpty()) {
        return -1;
      }
      long seq = sequence + 1;
      long bytes = totalBytes - removeInto(batch, old.get(), seq);
      commit(batch, seq, bytes, Map.of(old.get().namespace(), -1L));
      return seq;
    } catch (RocksDBException e) {
      throw new StoreException("cannot remove entry " + id + ": " + e.getMessage(), e);
    } finally {
      writeLock.unlock();
    }
  }

  /** Adds the deletion of {@code e} and all its keys to {@code batch}; returns its value's size. */
  private long removeInto(WriteBatch batch, Entry e, long seq) throws RocksDBException {
    byte[] id = bytes(e.id());
    byte[] value = db.get(entries, id);
    hotEntries.invalidate(e.id());
    batch.delete(entries, id);
    batch.delete(stats, id);
    byte[] exactKey = Keys.exact(e.namespace(), e.scope(), e.prompt());
    byte[] mapped = db.get(exact, exactKey);
    if (mapped != null && Arrays.equals(mapped, id)) {
      batch.delete(exact, exactKey);
    }
    batch.delete(expiry, timeKey(e.expiresAtMillis(), id));
    batch.delete(recency, recencyKey(e.namespace(), e.lastHitAtMillis(), id));
    batch.delete(recencyAll, timeKey(e.lastHitAtMillis(), id));
    batch.put(changes, longBytes(seq), change(OP_REMOVE, id));
    return value == null ? 0 : value.length;
  }

  private void commit(WriteBatch batch, long seq, long bytes, Map<String, Long> countDelta) throws RocksDBException {
    batch.put(meta, SEQ, longBytes(seq));
    batch.put(meta, BYTES, longBytes(bytes));
    Map<String, Long> newCounts = new java.util.HashMap<>();
    for (var d : countDelta.entrySet()) {
      long n = counts.getOrDefault(d.getKey(), 0L) + d.getValue();
      newCounts.put(d.getKey(), n);
      batch.put(meta, bytes(COUNT_PREFIX + d.getKey()), longBytes(n));
    }
    db.write(config.write, batch);
    sequence = seq;
    totalBytes = bytes;
    counts.putAll(newCounts);
  }

  @Override
  public void updateStats(Map<String, EntryStats> all) {
    if (all.isEmpty()) {
      return;
    }
    writeLock.lock();
    try (WriteBatch batch = new WriteBatch()) {
      ensureOpen();
      for (var u : all.entrySet()) {
        String id = u.getKey();
        EntryStats newStats = u.getValue();
        byte[] key = bytes(id);
        byte[] value = db.get(entries, key);
        byte[] oldStatsBytes = db.get(stats, key);
        if (value == null || oldStatsBytes == null) {
          continue; // removed meanwhile: nothing to record
        }
        EntryStats old = EntryCodec.decodeStats(id, oldStatsBytes);
        String ns = EntryCodec.decodeNamespace(id, value);
        batch.put(stats, key, EntryCodec.encodeStats(newStats));
        if (old.expiresAtMillis() != newStats.expiresAtMillis()) {
          batch.delete(expiry, timeKey(old.expiresAtMillis(), key));
          batch.put(expiry, timeKey(newStats.expiresAtMillis(), key), new byte[0]);
        }
        if (old.lastHitAtMillis() != newStats.lastHitAtMillis()) {
          batch.delete(recency, recencyKey(ns, old.lastHitAtMillis(), key));
          batch.put(recency, recencyKey(ns, newStats.lastHitAtMillis(), key), new byte[0]);
          batch.delete(recencyAll, timeKey(old.lastHitAtMillis(), key));
          batch.put(recencyAll, timeKey(newStats.lastHitAtMillis(), key), new byte[0]);
        }
      }
      if (batch.count() > 0) {
        db.write(config.write, batch);
      }
    } catch (RocksDBException e) {
      throw new StoreException("cannot update the statistics of " + all.size() + " entries: " + e.getMessage(), e);
    } finally {
      writeLock.unlock();
    }
  }

  @Override
  public Optional<Entry> get(String id) {
    ensureOpen();
    byte[] key = bytes(id);
    try {
      // one consistent view of both column families
      List<byte[]> values = db.multiGetAsList(List.of(entries, stats), List.of(key, key));
      if (values.get(0) == null || values.get(1) == null) {
        return Optional.empty();
      }
      return Optional.of(EntryCodec.decode(id, values.get(0), EntryCodec.decodeStats(id, values.get(1))));
    } catch (RocksDBException e) {
      throw new StoreException("cannot read entry " + id + ": " + e.getMessage(), e);
    }
  }

  /** Thrown by the memory-only reads when the answer needs disk I/O. */
  static final class NeedsIo extends Exception {
    private static final long serialVersionUID = 1L;
    static final NeedsIo INSTANCE = new NeedsIo();

    private NeedsIo() {
      super("the read needs disk I/O", null, false, false);
    }
  }

  /** {@link #exactId} from memtables and the block cache only; {@link NeedsIo} if that is not enough. */
  Optional<String> exactIdInMemory(byte[] exactKey) throws NeedsIo {
    ensureOpen();
    byte[] id = getInMemory(exact, exactKey);
    return id == null ? Optional.empty() : Optional.of(new String(id, StandardCharsets.UTF_8));
  }

  /**
   * {@link #get} from memtables and the block cache only, without the embedding (an empty array: the
   * exact path needs no vector); {@link NeedsIo} if memory is not enough. The two column families are read
   * one after the other: an entry removed in between reads as absent.
   */
  Optional<Entry> getInMemoryWithoutEmbedding(String id) throws NeedsIo {
    ensureOpen();
    byte[] key = bytes(id);
    Entry hot = hotEntries.getIfPresent(id);
    if (hot != null) {
      // The stats value is written and deleted with the entry's value, in the same batches: its
      // presence says the entry is there.
      byte[] stat = getInMemory(stats, key);
      return stat == null ? Optional.empty() : Optional.of(hot.withStats(EntryCodec.decodeStats(id, stat)));
    }
    byte[] value = getInMemory(entries, key);
    byte[] stat = value == null ? null : getInMemory(stats, key);
    if (value == null || stat == null) {
      return Optional.empty();
    }
    Entry e = EntryCodec.decode(id, value, EntryCodec.decodeStats(id, stat), false);
    hotEntries.put(id, e);
    return Optional.of(e);
  }

  private byte[] getInMemory(org.rocksdb.ColumnFamilyHandle cf, byte[] key) throws NeedsIo {
    try {
      return db.get(cf, config.memoryOnly, key);
    } catch (RocksDBException e) {
      if (e.getStatus() != null && e.getStatus().getCode() == org.rocksdb.Status.Code.Incomplete) {
        throw NeedsIo.INSTANCE;
      }
      throw new StoreException("cannot read " + new String(key, StandardCharsets.UTF_8) + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<String> exactId(byte[] exactKey) {
    ensureOpen();
    try {
      byte[] id = db.get(exact, exactKey);
      return id == null ? Optional.empty() : Optional.of(new String(id, StandardCharsets.UTF_8));
    } catch (RocksDBException e) {
      throw new StoreException("cannot read the exact-match index: " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> expiredAt(long nowMillis, int limit) {
    ensureOpen();
    List<String> out = new ArrayList<>();
    try (RocksIterator it = db.newIterator(expiry)) {
      for (it.seekToFirst(); it.isValid() && out.size() < limit; it.next()) {
        byte[] k = it.key();
        if (ByteBuffer.wrap(k, 0, 8).getLong() > nowMillis) {
          break;
        }
        out.add(new String(k, 8, k.length - 8, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public List<String> leastRecentlyHit(String namespace, int limit) {
    ensureOpen();
    List<String> out = new ArrayList<>();
    if (namespace == null) {
      try (RocksIterator it = db.newIterator(recencyAll)) {
        for (it.seekToFirst(); it.isValid() && out.size() < limit; it.next()) {
          byte[] k = it.key();
          out.add(new String(k, 8, k.length - 8, StandardCharsets.UTF_8));
        }
      }
      return out;
    }
    byte[] prefix = bytes(namespace + "\0");
    try (RocksIterator it = db.newIterator(recency)) {
      for (it.seek(prefix); it.isValid() && out.size() < limit && startsWith(it.key(), prefix); it.next()) {
        byte[] k = it.key();
        int idStart = prefix.length + 8;
        out.add(new String(k, idStart, k.length - idStart, StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public long count(String namespace) {
    return counts.getOrDefault(namespace, 0L);
  }

  @Override
  public long count() {
    long n = 0;
    for (long c : counts.values()) {
      n += c;
    }
    return n;
  }

  @Override
  public long bytes() {
    return totalBytes;
  }

  @Override
  public void forEachEntry(Consumer<Entry> action) {
    ensureOpen();
    try (var snapshot = new SnapshotScope(db);
         var opts = new org.rocksdb.ReadOptions().setSnapshot(snapshot.snapshot);
         RocksIterator it = db.newIterator(entries, opts)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        String id = new String(it.key(), StandardCharsets.UTF_8);
        byte[] s = db.get(stats, opts, it.key());
        if (s != null) {
          action.accept(EntryCodec.decode(id, it.value(), EntryCodec.decodeStats(id, s)));
        }
      }
    } catch (RocksDBException e) {
      throw new StoreException("cannot scan entries: " + e.getMessage(), e);
    }
  }

  /** Releases a RocksDB snapshot when the scan that uses it ends. */
  private static final class SnapshotScope implements AutoCloseable {
    final RocksDB db;
    final org.rocksdb.Snapshot snapshot;

    SnapshotScope(RocksDB db) {
      this.db = db;
      this.snapshot = db.getSnapshot();
    }

    @Override
    public void close() {
      db.releaseSnapshot(snapshot);
    }
  }

  @Override
  public List<Change> changesAfter(long seq, int limit) {
    ensureOpen();
    List<Change> out = new ArrayList<>();
    try (RocksIterator it = db.newIterator(changes)) {
      for (it.seek(longBytes(seq + 1)); it.isValid() && out.size() < limit; it.next()) {
        byte[] v = it.value();
        out.add(new Change(ByteBuffer.wrap(it.key()).getLong(), v[0] == OP_UPSERT,
            new String(v, 1, v.length - 1, StandardCharsets.UTF_8)));
      }
    }
    return out;
  }

  @Override
  public void trimChangesThrough(long seq) {
    ensureOpen();
    try {
      db.deleteRange(changes, longBytes(0), longBytes(seq + 1));
    } catch (RocksDBException e) {
      throw new StoreException("cannot trim the change log: " + e.getMessage(), e);
    }
  }

  @Override
  public long lastSequence() {
    return sequence;
  }

  @Override
  public Optional<NamespaceConfig> namespace(String namespace) {
    ensureOpen();
    try {
      byte[] v = db.get(namespaces, bytes(namespace));
      return v == null ? Optional.empty() : Optional.of(NamespaceConfigCodec.decode(namespace, v));
    } catch (RocksDBException e) {
      throw new StoreException("cannot read namespace " + namespace + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void putNamespace(String namespace, NamespaceConfig config) {
    Namespaces.requireValid(namespace);
    ensureOpen();
    try {
      db.put(namespaces, this.config.write, bytes(namespace), NamespaceConfigCodec.encode(config));
    } catch (RocksDBException e) {
      throw new StoreException("cannot store namespace " + namespace + ": " + e.getMessage(), e);
    }
  }

  @Override
  public List<String> namespaces() {
    ensureOpen();
    List<String> out = new ArrayList<>();
    try (RocksIterator it = db.newIterator(namespaces)) {
      for (it.seekToFirst(); it.isValid(); it.next()) {
        out.add(new String(it.key(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  @Override
  public void putRecords(Map<String, byte[]> records) {
    ensureOpen();
    try (WriteBatch batch = new WriteBatch()) {
      for (var r : records.entrySet()) {
        if (r.getValue() == null) {
          batch.delete(audits, bytes(r.getKey()));
        } else {
          batch.put(audits, bytes(r.getKey()), r.getValue());
        }
      }
      db.write(config.write, batch);
    } catch (RocksDBException e) {
      throw new StoreException("cannot write " + records.size() + " analytics records: " + e.getMessage(), e);
    }
  }

  @Override
  public Optional<byte[]> record(String key) {
    ensureOpen();
    try {
      return Optional.ofNullable(db.get(audits, bytes(key)));
    } catch (RocksDBException e) {
      throw new StoreException("cannot read analytics record " + key + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void forEachRecord(String prefix, java.util.function.BiConsumer<String, byte[]> action) {
    ensureOpen();
    byte[] p = bytes(prefix);
    try (RocksIterator it = db.newIterator(audits)) {
      for (it.seek(p); it.isValid() && startsWith(it.key(), p); it.next()) {
        action.accept(new String(it.key(), StandardCharsets.UTF_8), it.value());
      }
    }
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("entry store is closed");
    }
  }

  @Override
  public void close() {
    writeLock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      for (ColumnFamilyHandle h : handles) {
        h.close();
      }
      db.close();
      config.close();
    } finally {
      writeLock.unlock();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  private static long readLong(byte[] v) {
    return v == null ? 0 : ByteBuffer.wrap(v).getLong();
  }

  private static byte[] timeKey(long time, byte[] id) {
    return ByteBuffer.allocate(8 + id.length).putLong(time).put(id).array();
  }

  private static byte[] recencyKey(String namespace, long time, byte[] id) {
    byte[] ns = bytes(namespace + "\0");
    return ByteBuffer.allocate(ns.length + 8 + id.length).put(ns).putLong(time).put(id).array();
  }

  private static byte[] change(byte op, byte[] id) {
    return ByteBuffer.allocate(1 + id.length).put(op).put(id).array();
  }

  private static boolean startsWith(byte[] a, byte[] prefix) {
    return a.length >= prefix.length && Arrays.equals(a, 0, prefix.length, prefix, 0, prefix.length);
  }
}
