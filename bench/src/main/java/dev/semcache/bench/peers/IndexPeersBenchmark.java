package dev.semcache.bench.peers;

import dev.semcache.bench.VectorCorpus;
import dev.semcache.embedding.ModelSpec;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One k-NN search (k = 10, one thread) on real MiniLM embeddings, queries held out of the index: exact
 * search (recall 1, the reference), Lucene HNSW and jvector, each searched at the width that
 * {@link PeerCalibration} found to reach the recall target ({@code setting} = {@code INDEX@TARGET}). Setup
 * measures recall@10 again at that width and prints it, so the timed configuration is the calibrated one.
 *
 * <p>Run: {@code ./semcache bench peers} (calibration, once), then {@code ./semcache bench IndexPeersBenchmark
 * -rf json -rff bench/results/peers.json}, then {@code ./semcache bench peers-summary bench/results/peers.json}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "-Xms3g"})
public class IndexPeersBenchmark {
  @Param({"10000", "100000"})
  public int size;

  /** {@code exact}, or {@code lucene} / {@code jvector} followed by {@code @} and the recall@10 target. */
  @Param({"exact", "lucene@0.95", "jvector@0.95", "lucene@0.99", "jvector@0.99"})
  public String setting;

  private KnnIndex index;
  private List<float[]> queries;
  private int width;
  private int next;

  @Setup(Level.Trial)
  public void open() throws IOException {
    VectorCorpus corpus = VectorCorpus.load(ModelSpec.DEFAULT);
    queries = corpus.queries(PeerCalibration.QUERIES);
    List<float[]> vectors = corpus.vectors(size, PeerCalibration.QUERIES);
    String[] parts = setting.split("@", 2);
    PeerKind kind = PeerKind.parse(parts[0]);
    width = parts.length == 1 ? PeerCalibration.K : PeerCalibration.width(size, kind, Double.parseDouble(parts[1]));
    long start = System.nanoTime();
    index = kind.open(vectors, PeerCalibration.workDir(), GraphParams.SEMCACHE, false);
    double seconds = (System.nanoTime() - start) / 1e9;
    double recall = Recall.mean(index, queries, Recall.truth(vectors, queries, PeerCalibration.K), PeerCalibration.K, width);
    System.out.printf("%n# size=%d setting=%s width=%d recall@10=%.4f opened in %.1f s: %s%n", size, setting, width, recall,
        seconds, index);
  }

  @TearDown(Level.Trial)
  public void close() {
    index.close();
  }

  @Benchmark
  public int[] search() {
    int q = next;
    next = (next + 1) % queries.size();
    return index.search(queries.get(q), PeerCalibration.K, width);
  }
}
