package dev.semcache.server.audit;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counts of similarities on a fixed grid: bin {@code i} holds similarities in {@code [i*WIDTH,
 * (i+1)*WIDTH)}, the last bin also holds 1.0, and the first also holds anything below 0. Lock-free
 * (one atomic increment per observation). A threshold on the grid ({@code k*WIDTH}) splits the bins
 * exactly: similarities at or above it are bins {@code k} and up.
 */
public final class SimilarityHistogram {
  public static final int BINS = 200;
  public static final double WIDTH = 1.0 / BINS;

  private final AtomicLongArray counts = new AtomicLongArray(BINS);

  public SimilarityHistogram() {}

  /** Adds stored counts, bin by bin. */
  void addAll(long[] stored) {
    if (stored.length != BINS) {
      throw new IllegalArgumentException("a similarity histogram has " + BINS + " bins; got " + stored.length);
    }
    for (int i = 0; i < BINS; i++) {
      counts.addAndGet(i, stored[i]);
    }
  }

  /** The bin of a similarity. */
  public static int bin(double similarity) {
    int b = (int) Math.floor(similarity * BINS);
    return Math.max(0, Math.min(BINS - 1, b));
  }

  /** The first bin at or above a threshold (a threshold between grid points counts from the bin it falls in). */
  public static int firstBinAtOrAbove(double threshold) {
    return bin(threshold + 1e-9);
  }

  public void add(double similarity) {
    counts.incrementAndGet(bin(similarity));
  }

  void addCount(int bin, long n) {
    counts.addAndGet(bin, n);
  }

  public long[] counts() {
    long[] out = new long[BINS];
    for (int i = 0; i < BINS; i++) {
      out[i] = counts.get(i);
    }
    return out;
  }

  /** Sum of the bins from {@code fromBin} to the top. */
  public static long sumFrom(long[] counts, int fromBin) {
    long sum = 0;
    for (int i = Math.max(0, fromBin); i < counts.length; i++) {
      sum += counts[i];
    }
    return sum;
  }
}
