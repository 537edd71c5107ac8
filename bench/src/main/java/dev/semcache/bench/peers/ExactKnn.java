package dev.semcache.bench.peers;

import java.util.List;
import org.apache.lucene.util.VectorUtil;

/**
 * Exact search: the dot product of the query with every vector (Lucene's {@link VectorUtil}, which uses
 * the JDK's vector API), keeping the best {@code k} in a small sorted array. Recall 1 by definition; the
 * reference every other index is measured against.
 */
public final class ExactKnn implements KnnIndex {
  private final List<float[]> vectors;

  public ExactKnn(List<float[]> vectors) {
    this.vectors = List.copyOf(vectors);
  }

  @Override
  public int[] search(float[] query, int k, int width) {
    return topK(query, vectors, k, i -> true);
  }

  /**
   * The ids (indexes into {@code vectors}) of the {@code k} vectors with the highest dot product with
   * {@code query} among those {@code include} accepts, best first; fewer if fewer are accepted.
   */
  public static int[] topK(float[] query, List<float[]> vectors, int k, java.util.function.IntPredicate include) {
    int[] best = new int[k];
    float[] bestScore = new float[k];
    java.util.Arrays.fill(bestScore, Float.NEGATIVE_INFINITY);
    int seen = 0;
    for (int i = 0; i < vectors.size(); i++) {
      if (!include.test(i)) {
        continue;
      }
      seen++;
      float s = VectorUtil.dotProduct(query, vectors.get(i));
      if (s > bestScore[k - 1]) {
        int j = k - 1;
        while (j > 0 && bestScore[j - 1] < s) {
          bestScore[j] = bestScore[j - 1];
          best[j] = best[j - 1];
          j--;
        }
        bestScore[j] = s;
        best[j] = i;
      }
    }
    int found = Math.min(k, seen);
    return found == k ? best : java.util.Arrays.copyOf(best, found);
  }

  @Override
  public long bytes() {
    return (long) vectors.size() * vectors.get(0).length * Float.BYTES;
  }

  @Override
  public String toString() {
    return "exact (dot product over all " + vectors.size() + " vectors, on heap)";
  }
}
