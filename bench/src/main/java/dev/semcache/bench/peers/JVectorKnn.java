package dev.semcache.bench.peers;

import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.ImmutableGraphIndex;
import io.github.jbellis.jvector.disk.ReaderSupplier;
import io.github.jbellis.jvector.disk.ReaderSupplierFactory;
import io.github.jbellis.jvector.graph.ListRandomAccessVectorValues;
import io.github.jbellis.jvector.graph.OnHeapGraphIndex;
import io.github.jbellis.jvector.graph.RandomAccessVectorValues;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.diversity.VamanaDiversityProvider;
import io.github.jbellis.jvector.graph.similarity.BuildScoreProvider;
import io.github.jbellis.jvector.graph.similarity.DefaultSearchScoreProvider;
import io.github.jbellis.jvector.util.Bits;
import io.github.jbellis.jvector.vector.VectorSimilarityFunction;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;
import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;

/**
 * jvector's in-memory graph ({@code OnHeapGraphIndex}, hierarchical, exact float scoring, no quantization),
 * built in one thread with jvector's own defaults for what Lucene has no counterpart for (neighbour overflow
 * 1.2, Vamana diversity alpha 1.2). A search reuses one {@link GraphSearcher}, as jvector recommends for
 * one thread; so an instance must not be searched from two threads at once.
 */
public final class JVectorKnn implements KnnIndex {
  private static final VectorTypeSupport VECTORS = VectorizationProvider.getInstance().getVectorTypeSupport();
  static final float NEIGHBOR_OVERFLOW = 1.2f;
  static final float ALPHA = 1.2f;

  private final RandomAccessVectorValues values;
  private final ImmutableGraphIndex graph;
  private final GraphSearcher searcher;
  private final GraphParams params;

  private JVectorKnn(RandomAccessVectorValues values, ImmutableGraphIndex graph, GraphParams params) {
    this.values = values;
    this.graph = graph;
    this.params = params;
    this.searcher = new GraphSearcher(graph);
  }

  /** Builds the graph over {@code vectors} (ids are their positions), in the calling thread's pool of one. */
  public static JVectorKnn build(List<float[]> vectors, GraphParams params) {
    RandomAccessVectorValues values = values(vectors);
    ForkJoinPool one = new ForkJoinPool(1);
    try (GraphIndexBuilder builder = GraphIndexBuilder.builder(values, VectorSimilarityFunction.DOT_PRODUCT, params.jvectorDegree())
        .withBeamWidth(params.beamWidth())
        .withNeighborOverflow(NEIGHBOR_OVERFLOW)
        .withAlpha(ALPHA)
        .withSimdExecutor(one)
        .withParallelExecutor(one)
        .build()) {
      return new JVectorKnn(values, builder.build(values), params);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close jvector's graph builder", e);
    } finally {
      one.shutdown();
    }
  }

  /**
   * Writes the graph (not the vectors) to {@code file} with jvector's own on-heap format, so that a later
   * trial can {@link #load} it instead of building it again (minutes at 100k in one thread).
   */
  public void save(Path file) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    try (DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20))) {
      ((OnHeapGraphIndex) graph).save(out);
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The graph that {@link #save} wrote for these {@code vectors} and {@code params}. */
  public static JVectorKnn load(Path file, List<float[]> vectors, GraphParams params) throws IOException {
    RandomAccessVectorValues values = values(vectors);
    BuildScoreProvider scores = BuildScoreProvider.randomAccessScoreProvider(values, VectorSimilarityFunction.DOT_PRODUCT);
    try (ReaderSupplier supplier = ReaderSupplierFactory.open(file); var reader = supplier.get()) {
      @SuppressWarnings("deprecation")
      OnHeapGraphIndex graph = OnHeapGraphIndex.load(reader, values.dimension(), NEIGHBOR_OVERFLOW,
          new VamanaDiversityProvider(scores, ALPHA));
      if (graph.size() != vectors.size()) {
        throw new IOException(file + " holds a graph of " + graph.size() + " nodes, not " + vectors.size());
      }
      return new JVectorKnn(values, graph, params);
    }
  }

  private static RandomAccessVectorValues values(List<float[]> vectors) {
    List<VectorFloat<?>> copies = new ArrayList<>(vectors.size());
    for (float[] v : vectors) {
      copies.add(VECTORS.createFloatVector(v.clone()));
    }
    return new ListRandomAccessVectorValues(copies, vectors.get(0).length);
  }

  @Override
  public int[] search(float[] query, int k, int width) {
    VectorFloat<?> q = VECTORS.createFloatVector(query);
    SearchResult result = searcher.search(DefaultSearchScoreProvider.exact(q, VectorSimilarityFunction.DOT_PRODUCT, values),
        k, Math.max(k, width), 0f, 0f, Bits.ALL);
    SearchResult.NodeScore[] nodes = result.getNodes();
    int[] ids = new int[nodes.length];
    for (int i = 0; i < nodes.length; i++) {
      ids[i] = nodes[i].node;
    }
    return ids;
  }

  @Override
  public long bytes() {
    return graph.ramBytesUsed() + (long) values.size() * values.dimension() * Float.BYTES;
  }

  @Override
  public void close() {
    try {
      searcher.close();
      graph.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close the jvector graph", e);
    }
  }

  @Override
  public String toString() {
    return "jvector " + "OnHeapGraphIndex (degree=" + params.jvectorDegree() + " beamWidth=" + params.beamWidth()
        + " overflow=" + NEIGHBOR_OVERFLOW + " alpha=" + ALPHA + ", hierarchical, " + values.size()
        + " vectors, on heap; SIMD: " + VectorizationProvider.getInstance().getClass().getSimpleName() + ")";
  }
}
