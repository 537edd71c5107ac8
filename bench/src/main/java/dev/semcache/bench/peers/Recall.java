package dev.semcache.bench.peers;

import java.util.List;

/** Recall@k of an index against exact search: the share of the true {@code k} nearest that it found. */
public final class Recall {
  private Recall() {}

  /** {@code |truth ∩ found| / |truth|}; order does not matter, and ids beyond the truth's length count for nothing. */
  public static double of(int[] truth, int[] found) {
    if (truth.length == 0) {
      throw new IllegalArgumentException("the true neighbours must not be empty");
    }
    int common = 0;
    for (int t : truth) {
      for (int f : found) {
        if (f == t) {
          common++;
          break;
        }
      }
    }
    return common / (double) truth.length;
  }

  /** Mean recall@k of {@code index} searched {@code width} wide, over the queries whose exact answers are {@code truth}. */
  public static double mean(KnnIndex index, List<float[]> queries, int[][] truth, int k, int width) {
    if (queries.size() != truth.length) {
      throw new IllegalArgumentException("one truth per query: queries=" + queries.size() + ", truths=" + truth.length);
    }
    double sum = 0;
    for (int q = 0; q < queries.size(); q++) {
      sum += of(truth[q], index.search(queries.get(q), k, width));
    }
    return sum / queries.size();
  }

  /** The exact {@code k} nearest of every query: the truth recall is measured against. */
  public static int[][] truth(List<float[]> vectors, List<float[]> queries, int k) {
    ExactKnn exact = new ExactKnn(vectors);
    int[][] out = new int[queries.size()][];
    for (int q = 0; q < queries.size(); q++) {
      out[q] = exact.search(queries.get(q), k, k);
    }
    return out;
  }
}
