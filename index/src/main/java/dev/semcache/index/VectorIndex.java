package dev.semcache.index;

import java.util.List;

/**
 * Approximate nearest-neighbour search over entry vectors, filtered to one partition (namespace +
 * scope) and to unexpired entries. Derived from the {@link EntryStore}: it can always be rebuilt from
 * it, and records in each durable commit the store sequence it contains. Thread-safe.
 */
public interface VectorIndex extends AutoCloseable {

  /** Adds or replaces the vector of an entry. Visible to search after the next {@link #refresh}. */
  void upsert(String entryId, String partition, long expiresAtMillis, float[] unitVector);

  /** Removes an entry; a no-op if it is not there. Visible after the next {@link #refresh}. */
  void delete(String entryId);

  /**
   * The {@code k} nearest entries of {@code partition} that have not expired at {@code nowMillis},
   * most similar first.
   */
  List<Neighbor> search(String partition, float[] unitVector, int k, long nowMillis);

  /** Makes all updates so far visible to search. */
  void refresh();

  /** Makes all updates so far durable and records that they include store writes up to {@code storeSequence}. */
  void commit(long storeSequence);

  /** The store sequence recorded by the last durable commit (0 for a new index). */
  long committedSequence();

  /** Entries in the index as of the last refresh. */
  int size();

  @Override
  void close();
}
