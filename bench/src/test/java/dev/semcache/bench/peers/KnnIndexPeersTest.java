package dev.semcache.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The peers of the index benchmark on a small index of random unit vectors: both graphs find the exact nearest
 * neighbour of most queries and keep recall@10 high, a saved jvector graph answers as the built one, and recall
 * is computed as counted by hand.
 */
class KnnIndexPeersTest {
  static final int SIZE = 2000;
  static final int DIMENSION = 64;
  static final int QUERIES = 100;
  static final int K = 10;

  static List<float[]> vectors;
  static List<float[]> queries;
  static int[][] truth;

  @TempDir
  static Path dir;

  @BeforeAll
  static void corpus() {
    SplittableRandom random = new SplittableRandom(11);
    vectors = new ArrayList<>();
    for (int i = 0; i < SIZE; i++) {
      vectors.add(unit(gaussian(random)));
    }
    // queries near an indexed vector (a rewording of a cached prompt), so each has one clear nearest neighbour
    queries = new ArrayList<>();
    for (int q = 0; q < QUERIES; q++) {
      float[] base = vectors.get(random.nextInt(SIZE));
      float[] noise = gaussian(random);
      float[] v = new float[DIMENSION];
      for (int d = 0; d < DIMENSION; d++) {
        v[d] = base[d] + 0.05f * noise[d];
      }
      queries.add(unit(v));
    }
    truth = Recall.truth(vectors, queries, K);
  }

  @Test
  void recallCountsTheTrueNeighboursFoundWhateverTheirOrder() {
    assertThat(Recall.of(new int[] {1, 2, 3, 4}, new int[] {4, 9, 2, 7})).isEqualTo(0.5);
    assertThat(Recall.of(new int[] {1, 2, 3, 4}, new int[] {4, 3, 2, 1})).isEqualTo(1.0);
    assertThat(Recall.of(new int[] {1, 2, 3, 4}, new int[] {5, 6})).isEqualTo(0.0);
    assertThatThrownBy(() -> Recall.of(new int[0], new int[] {1}))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the true neighbours must not be empty");
  }

  @Test
  void exactSearchRanksByDotProductAndHasRecallOne() {
    ExactKnn exact = new ExactKnn(vectors);
    // an indexed vector is its own nearest neighbour (dot product 1 on unit vectors)
    assertThat(exact.search(vectors.get(123), K, K)[0]).isEqualTo(123);
    int[] found = exact.search(queries.get(0), K, K);
    for (int i = 1; i < found.length; i++) {
      // float sums in another order: allow rounding
      assertThat(dot(queries.get(0), vectors.get(found[i - 1])))
          .isGreaterThanOrEqualTo(dot(queries.get(0), vectors.get(found[i])) - 1e-5f);
    }
    assertThat(Recall.mean(exact, queries, truth, K, K)).isEqualTo(1.0);
  }

  @Test
  void luceneFindsTheNearestNeighbourOfMostQueries() throws IOException {
    try (KnnIndex lucene = PeerKind.LUCENE.open(vectors, dir, GraphParams.SEMCACHE, true)) {
      assertThat(nearestFound(lucene)).isGreaterThanOrEqualTo(0.95);
      assertThat(Recall.mean(lucene, queries, truth, K, 50)).isGreaterThanOrEqualTo(0.9);
    }
  }

  @Test
  void jvectorFindsTheNearestNeighbourOfMostQueriesAndAnswersTheSameWhenReloaded() throws IOException {
    double recall;
    try (KnnIndex jvector = PeerKind.JVECTOR.open(vectors, dir, GraphParams.SEMCACHE, true)) {
      assertThat(nearestFound(jvector)).isGreaterThanOrEqualTo(0.95);
      recall = Recall.mean(jvector, queries, truth, K, 50);
      assertThat(recall).isGreaterThanOrEqualTo(0.9);
    }
    try (KnnIndex reloaded = PeerKind.JVECTOR.open(vectors, dir, GraphParams.SEMCACHE, false)) {
      assertThat(Recall.mean(reloaded, queries, truth, K, 50)).isEqualTo(recall);
    }
  }

  @Test
  void aWiderSearchDoesNotLoseRecall() throws IOException {
    try (KnnIndex lucene = PeerKind.LUCENE.open(vectors, dir, GraphParams.SEMCACHE, false)) {
      assertThat(Recall.mean(lucene, queries, truth, K, 200)).isGreaterThanOrEqualTo(Recall.mean(lucene, queries, truth, K, K));
    }
  }

  /** The share of queries whose first answer is the exact nearest neighbour. */
  private static double nearestFound(KnnIndex index) {
    int hits = 0;
    for (int q = 0; q < QUERIES; q++) {
      int[] found = index.search(queries.get(q), K, 50);
      if (found.length > 0 && found[0] == truth[q][0]) {
        hits++;
      }
    }
    return hits / (double) QUERIES;
  }

  private static float[] gaussian(SplittableRandom random) {
    float[] v = new float[DIMENSION];
    for (int d = 0; d < DIMENSION; d++) {
      // Box-Muller
      v[d] = (float) (Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble()));
    }
    return v;
  }

  private static float[] unit(float[] v) {
    double norm = 0;
    for (float x : v) {
      norm += (double) x * x;
    }
    float inv = (float) (1 / Math.sqrt(norm));
    float[] out = new float[v.length];
    for (int d = 0; d < v.length; d++) {
      out[d] = v[d] * inv;
    }
    return out;
  }

  private static float dot(float[] a, float[] b) {
    float s = 0;
    for (int d = 0; d < a.length; d++) {
      s += a[d] * b[d];
    }
    return s;
  }
}
