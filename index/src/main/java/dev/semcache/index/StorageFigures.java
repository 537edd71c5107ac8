package dev.semcache.index;

/**
 * What a {@link CacheStorage} holds, for metrics and answers: read-only and cheap enough to call on every
 * scrape. A clustered backend reports the cluster's figures where it can (entries, bytes) and this
 * node's where only this node knows them (evictions and expirations it carried out).
 */
public interface StorageFigures {

  /** Live and not yet swept entries, all namespaces. */
  long entryCount();

  /** Live and not yet swept entries of one namespace. */
  long entryCount(String namespace);

  /** Bytes of stored entry values, all namespaces (keys and engine overhead not counted). */
  long entryBytes();

  /** Entries the vector index searches, as of its last refresh. */
  long indexedCount();

  /** Entries evicted to respect {@code max_entries} or {@code max_bytes}. */
  long evictionCount();

  /** Expired entries reclaimed by sweeps. */
  long expirationCount();

  /** Segments of the vector index as of its last refresh, where this node holds the index (embedded). */
  default java.util.OptionalInt indexSegments() {
    return java.util.OptionalInt.empty();
  }

  /** Times the vector index merged itself down on its own ({@link CompactionPolicy}) since it opened. */
  default long indexCompactions() {
    return 0;
  }
}
