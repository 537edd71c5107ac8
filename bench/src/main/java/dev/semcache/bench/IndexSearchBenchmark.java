package dev.semcache.bench;

import dev.semcache.index.LuceneVectorIndex;
import dev.semcache.index.Neighbor;
import dev.semcache.index.VectorFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.lucene.util.VectorUtil;
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
 * k-NN search (k = 10, {@code candidates} HNSW candidates) on real MiniLM embeddings of the shared datasets, with
 * queries held out of the index. {@code target}: {@code all} searches every partition, {@code large} the
 * partition holding half the entries, {@code small} one of 1,000 small partitions. Setup measures
 * recall@1 and recall@10 against exact brute force over the same partition, and recall@1 after re-ranking
 * the 10 found by their float vectors (what {@code CacheStorage} serves), and writes them, with the
 * build figures, to {@code bench/results/index-SIZE-FORMAT-TARGET.properties}.
 *
 * <p>Needs {@code ./semcache bench corpus} first. Run: {@code ./semcache bench IndexSearchBenchmark
 * -rf json -rff bench/results/index.json}; the 1M row: add {@code -p size=1000000} (several minutes
 * per format to build, once); wider searches: {@code -p candidates=32,100}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Xms6g"})
public class IndexSearchBenchmark {
  static final int K = 10;

  @Param({"10000", "100000"})
  public int size;

  @Param({"FLOAT", "INT7", "INT4"})
  public String format;

  @Param({"all", "large", "small"})
  public String target;

  /** HNSW candidates gathered per search (semcache's default is 32). */
  @Param({"32"})
  public int candidates;

  /** 0: the index as built; N: a copy force-merged to at most N segments (made once, kept). */
  @Param({"0"})
  public int mergeTo;

  /**
   * HNSW graph degree ({@code M}): semcache's, {@code StorageOptions.defaults().maxConn()}, is 32 (16 until
   * 2026-12-03); another degree builds its own index, once.
   */
  @Param({"32"})
  public int maxConn;

  /** Segments of one size Lucene's merge policy allows (its default, 10, is semcache's). */
  @Param({"10"})
  public double segmentsPerTier;

  /** Threads searching segments side by side (1: the caller's thread alone). */
  @Param({"1"})
  public int threads;

  /** Partitions up to this size are searched exactly; -1: semcache's default. */
  @Param({"-1"})
  public int exactMax;

  private IndexFixture fixture;
  private List<float[]> queries;
  private List<String> partitions;
  private int next;

  @Setup(Level.Trial)
  public void open() throws IOException {
    VectorCorpus corpus = VectorCorpus.load(dev.semcache.embedding.ModelSpec.DEFAULT);
    var tuning = new LuceneVectorIndex.SearchTuning(threads,
        exactMax < 0 ? LuceneVectorIndex.SearchTuning.DEFAULT.exactSearchMax() : exactMax);
    fixture = IndexFixture.open(corpus, size, VectorFormat.parse(format), maxConn, segmentsPerTier, candidates, mergeTo,
        tuning);
    queries = corpus.queries(IndexFixture.QUERIES);
    partitions = new ArrayList<>();
    for (int q = 0; q < queries.size(); q++) {
      partitions.add(switch (target) {
        case "all" -> null;
        case "large" -> IndexFixture.LARGE;
        case "small" -> IndexFixture.small(q % IndexFixture.SMALL_PARTITIONS);
        default -> {
          IndexFixture.Mid mid = IndexFixture.mid(target);
          if (mid == null) {
            throw new IllegalArgumentException("target must be all, large, small or one of "
                + IndexFixture.MID.stream().map(IndexFixture.Mid::name).toList() + "; target=" + target);
          }
          yield mid.partition();
        }
      });
    }
    measureRecall();
  }

  private void measureRecall() throws IOException {
    double hit1 = 0;
    double hit10 = 0;
    double rescored1 = 0;
    // How far a miss at rank 1 is from the true nearest: a near-tie (the corpus mixes real vectors, so
    // they are common) costs a cache nothing, a wide gap is a real loss.
    List<Double> missGaps = new ArrayList<>();
    for (int q = 0; q < queries.size(); q++) {
      List<Integer> truth = bruteForce(queries.get(q), partitions.get(q));
      List<Neighbor> found = fixture.index.search(partitions.get(q), queries.get(q), K, 0);
      Set<String> foundIds = new HashSet<>();
      for (Neighbor n : found) {
        foundIds.add(n.entryId());
      }
      if (!found.isEmpty() && found.get(0).entryId().equals("e" + truth.get(0))) {
        hit1++;
      } else {
        float best = VectorUtil.dotProduct(queries.get(q), fixture.vectors.get(truth.get(0)));
        missGaps.add(found.isEmpty() ? 1.0 : (double) best - found.get(0).similarity());
      }
      // what CacheStorage serves: the found ids re-ranked by their stored float vectors
      String best = null;
      float bestScore = Float.NEGATIVE_INFINITY;
      for (Neighbor n : found) {
        float s = VectorUtil.dotProduct(queries.get(q), fixture.vectors.get(Integer.parseInt(n.entryId().substring(1))));
        if (s > bestScore) {
          bestScore = s;
          best = n.entryId();
        }
      }
      if (("e" + truth.get(0)).equals(best)) {
        rescored1++;
      }
      int common = 0;
      for (int t : truth) {
        if (foundIds.contains("e" + t)) {
          common++;
        }
      }
      hit10 += common / (double) truth.size();
    }
    var out = fixture.figures;
    out.setProperty("recall_at_1", String.format("%.4f", hit1 / queries.size()));
    out.setProperty("recall_at_10", String.format("%.4f", hit10 / queries.size()));
    out.setProperty("recall_at_1_rescored", String.format("%.4f", rescored1 / queries.size()));
    missGaps.sort(null);
    out.setProperty("misses_at_1", Integer.toString(missGaps.size()));
    out.setProperty("miss_gaps_at_1", missGaps.stream().map(g -> String.format("%.5f", g)).toList().toString());
    out.setProperty("target", target);
    out.setProperty("format", format);
    out.setProperty("candidates", Integer.toString(candidates));
    out.setProperty("threads", Integer.toString(threads));
    out.setProperty("exact_max", Integer.toString(exactMax));
    out.setProperty("partition_size", Long.toString(partitionSize()));
    Path file = Path.of("bench/results", "index-" + size + "-" + format + "-" + target + "-c" + candidates
        + (maxConn != IndexFixture.UNSUFFIXED_MAX_CONN ? "-M" + maxConn : "")
        + (segmentsPerTier != LuceneVectorIndex.DEFAULT_SEGMENTS_PER_TIER ? "-spt" + segmentsPerTier : "") + (mergeTo > 0 ? "-m" + mergeTo : "") + (threads > 1 ? "-t" + threads : "")
        + (exactMax >= 0 ? "-x" + exactMax : "") + ".properties");
    Files.createDirectories(file.getParent());
    try (var w = Files.newBufferedWriter(file)) {
      out.store(w, "IndexSearchBenchmark setup: recall against brute force, build figures");
    }
    System.out.printf("%n# size=%d format=%s target=%s (%s entries) candidates=%d mergeTo=%d threads=%d exactMax=%d recall@1=%s recall@10=%s rescored@1=%s miss gaps@1=%s %s%n",
        size, format, target, out.getProperty("partition_size"), candidates, mergeTo, threads, exactMax, out.getProperty("recall_at_1"), out.getProperty("recall_at_10"),
        out.getProperty("recall_at_1_rescored"), out.getProperty("miss_gaps_at_1"), out);
  }

  private long partitionSize() {
    String p = partitions.get(0);
    long n = 0;
    for (int i = 0; i < fixture.vectors.size(); i++) {
      if (p == null || p.equals(IndexFixture.partitionOf(i))) {
        n++;
      }
    }
    return n;
  }

  /** Exact top-k ids (as indexes into the corpus) within the partition. */
  private List<Integer> bruteForce(float[] q, String partition) {
    int[] ids = dev.semcache.bench.peers.ExactKnn.topK(q, fixture.vectors, K,
        i -> partition == null || partition.equals(IndexFixture.partitionOf(i)));
    List<Integer> out = new ArrayList<>(ids.length);
    for (int id : ids) {
      out.add(id);
    }
    return out;
  }

  @TearDown(Level.Trial)
  public void close() {
    fixture.index.close();
  }

  @Benchmark
  public List<Neighbor> search() {
    int q = next;
    next = (next + 1) % queries.size();
    return fixture.index.search(partitions.get(q), queries.get(q), K, 0);
  }
}
