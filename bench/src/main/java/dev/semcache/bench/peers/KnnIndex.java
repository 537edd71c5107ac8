package dev.semcache.bench.peers;

import java.io.Closeable;

/**
 * A k-nearest-neighbour index over unit vectors, ranked by dot product (the cosine), as compared in
 * {@link IndexPeersBenchmark}. Ids are the positions of the vectors in the list the index was built from.
 */
public interface KnnIndex extends Closeable {
  /**
   * The ids of (about) the {@code k} nearest vectors, nearest first.
   *
   * @param width how wide the search looks (Lucene: the HNSW candidates, jvector: the results kept before
   *     the best {@code k} are taken); at least {@code k}; ignored by exact search
   */
  int[] search(float[] query, int k, int width);

  /** What the index is and how it was built, for reports. */
  @Override
  String toString();

  /** Bytes the index itself holds, vectors included (heap or files, as stated by {@link #toString}). */
  long bytes();

  @Override
  default void close() {}
}
