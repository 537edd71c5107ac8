package dev.semcache.bench.peers;

/**
 * Graph build parameters, given once and mapped onto each library so that the graphs are comparable.
 * Lucene's {@code maxConn} = {@code m} bounds the links of a node on the upper layers and {@code 2 m} on the
 * bottom layer, where every node lives; jvector's one degree bound is set to that bottom-layer {@code 2 m}.
 * {@code beamWidth} is the candidate list while inserting in both (Lucene's {@code beamWidth}, jvector's
 * {@code beamWidth}; hnswlib calls it {@code efConstruction}).
 *
 * @param m Lucene's {@code maxConn}: semcache's default is 16
 * @param beamWidth candidates considered per insertion: semcache's default is 100
 */
public record GraphParams(int m, int beamWidth) {
  /** semcache's defaults ({@code StorageOptions}). */
  public static final GraphParams SEMCACHE = new GraphParams(16, 100);

  public GraphParams {
    if (m < 2) {
      throw new IllegalArgumentException("m must be at least 2; m=" + m);
    }
    if (beamWidth < 1) {
      throw new IllegalArgumentException("beamWidth must be positive; beamWidth=" + beamWidth);
    }
  }

  /** jvector's degree bound: Lucene's bottom-layer bound. */
  int jvectorDegree() {
    return 2 * m;
  }
}
