package dev.semcache.bench.peers;

/**
 * Graph build parameters, given once and mapped onto each library so that the graphs are comparable.
 * Lucene's {@code maxConn} = {@code m} bounds the links of a node on the upper layers and {@code 2 m} on the
 * bottom layer, where every node lives; jvector's one degree bound is set to that bottom-layer {@code 2 m}.
 * {@code beamWidth} is the candidate list while inserting in both (Lucene's {@code beamWidth}, jvector's
 * {@code beamWidth}; hnswlib calls it {@code efConstruction}).
 *
 * @param m Lucene's {@code maxConn}
 * @param beamWidth candidates considered per insertion
 */
public record GraphParams(int m, int beamWidth) {
  /** semcache's defaults ({@code StorageOptions}). */
  public static final GraphParams SEMCACHE = new GraphParams(dev.semcache.index.StorageOptions.defaults().maxConn(),
      dev.semcache.index.StorageOptions.defaults().beamWidth());

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
