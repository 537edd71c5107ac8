package dev.semcache.index;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The durable home of entries: the source of truth from which the vector index is derived.
 *
 * <p>Every write is atomic (an entry, its exact-match key, its expiry and recency keys, and a change-log
 * record land together or not at all) and durable once the call returns, across a process crash. Each
 * write that adds or removes an entry gets the next sequence number; the change log lets the index
 * catch up after a crash. Implementations are thread-safe.
 */
public interface EntryStore extends AutoCloseable {

  /**
   * Writes a new entry. An entry already stored under the same namespace, scope and normalised prompt
   * is removed in the same atomic write (one prompt, one answer).
   *
   * @return the sequence number of the write
   */
  long put(Entry entry);

  /** The entry with this id, expired or not; empty if there is none. */
  Optional<Entry> get(String id);

  /** The id stored under this exact-match key ({@link Keys#exact}), if any. */
  Optional<String> exactId(byte[] exactKey);

  /**
   * Removes an entry and all its keys.
   *
   * @return the sequence number of the write, or -1 if there was no such entry
   */
  long remove(String id);

  /** Records that an entry was served: new statistics, and a new expiry if its TTL slides. */
  default void updateStats(String id, EntryStats stats) {
    updateStats(java.util.Map.of(id, stats));
  }

  /**
   * Records the statistics of many entries in one atomic write. Ids of entries that no longer exist are
   * skipped.
   */
  void updateStats(java.util.Map<String, EntryStats> stats);

  /** Ids of entries whose expiry is at or before {@code nowMillis}, earliest first. */
  List<String> expiredAt(long nowMillis, int limit);

  /** Ids of the least recently hit entries of a namespace (or of all namespaces if null), oldest first. */
  List<String> leastRecentlyHit(String namespace, int limit);

  /** Entries stored in a namespace. */
  long count(String namespace);

  /** Entries stored in all namespaces. */
  long count();

  /** Bytes of all stored entry values (keys and RocksDB overhead not counted). */
  long bytes();

  /** Calls {@code action} with every entry, in no particular order (for rebuilding the index). */
  void forEachEntry(Consumer<Entry> action);

  /** Change-log records with a sequence above {@code sequence}, in order, at most {@code limit}. */
  List<Change> changesAfter(long sequence, int limit);

  /** Drops change-log records up to and including {@code sequence}: the index holds them durably. */
  void trimChangesThrough(long sequence);

  /** The sequence number of the last write. */
  long lastSequence();

  Optional<NamespaceConfig> namespace(String namespace);

  void putNamespace(String namespace, NamespaceConfig config);

  /** Names of all namespaces with a stored config, sorted. */
  List<String> namespaces();

  /**
   * Writes analytics records (audit verdicts, statistics) in one atomic, logged write; a null value
   * removes the record. Keys and values
   * are opaque to the store: the cache encodes them and versions their format.
   */
  void putRecords(java.util.Map<String, byte[]> records);

  /** The analytics record under {@code key}, if any. */
  Optional<byte[]> record(String key);

  /** Calls {@code action} with every analytics record whose key starts with {@code prefix}, in key order. */
  void forEachRecord(String prefix, java.util.function.BiConsumer<String, byte[]> action);

  @Override
  void close();
}
