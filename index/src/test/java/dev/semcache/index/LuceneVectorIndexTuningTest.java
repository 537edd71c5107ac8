package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link VectorIndex} contract with segments searched side by side and every partition through the
 * graph (exact-search bound 0); and the same neighbours whatever the tuning or the segment count.
 */
class LuceneVectorIndexTuningTest extends VectorIndexContractTest {
  @Override
  VectorIndex open(Path dir) throws Exception {
    return LuceneVectorIndex.open(dir, VectorFormat.FLOAT, 16, 100, 32, new LuceneVectorIndex.SearchTuning(2, 0));
  }

  @Override
  float tolerance() {
    return 1e-4f;
  }

  private static float[] unit(SplittableRandom random) {
    return TestVectors.random(random, 64);
  }

  @Test
  void everyTuningAndAMergeFindTheExactNearest(@TempDir Path other) throws Exception {
    SplittableRandom random = new SplittableRandom(11);
    List<float[]> vectors = new ArrayList<>();
    try (LuceneVectorIndex built = LuceneVectorIndex.open(other, VectorFormat.FLOAT, 16, 100, 32)) {
      for (int batch = 0; batch < 3; batch++) {
        for (int i = 0; i < 200; i++) {
          float[] v = unit(random);
          built.upsert("e" + vectors.size(), P1, NOW + 1000, v);
          vectors.add(v);
        }
        built.commit(vectors.size()); // one segment per batch
      }
    }
    List<float[]> queries = new ArrayList<>();
    List<String> truth = new ArrayList<>();
    for (int q = 0; q < 20; q++) {
      float[] query = unit(random);
      queries.add(query);
      int best = java.util.stream.IntStream.range(0, vectors.size()).boxed()
          .max(Comparator.comparingDouble(i -> org.apache.lucene.util.VectorUtil.dotProduct(query, vectors.get(i))))
          .orElseThrow();
      truth.add("e" + best);
    }
    for (var tuning : List.of(LuceneVectorIndex.SearchTuning.DEFAULT, new LuceneVectorIndex.SearchTuning(2, 0),
        new LuceneVectorIndex.SearchTuning(2, 10_000), new LuceneVectorIndex.SearchTuning(1, 0))) {
      try (LuceneVectorIndex index = LuceneVectorIndex.open(other, VectorFormat.FLOAT, 16, 100, 32, tuning)) {
        index.refresh();
        assertThat(index.segmentCount()).isEqualTo(3);
        for (int q = 0; q < queries.size(); q++) {
          assertThat(index.search(P1, queries.get(q), 1, NOW).get(0).entryId()).as("%s, query %d", tuning, q)
              .isEqualTo(truth.get(q));
        }
      }
    }
    try (LuceneVectorIndex index = LuceneVectorIndex.open(other, VectorFormat.FLOAT, 16, 100, 32,
        new LuceneVectorIndex.SearchTuning(2, 0))) {
      index.forceMerge(1);
      assertThat(index.segmentCount()).isEqualTo(1);
      assertThat(index.size()).isEqualTo(vectors.size());
      assertThat(index.committedSequence()).isEqualTo(vectors.size());
      for (int q = 0; q < queries.size(); q++) {
        assertThat(index.search(P1, queries.get(q), 1, NOW).get(0).entryId()).as("merged, query %d", q)
            .isEqualTo(truth.get(q));
      }
    }
  }
}
