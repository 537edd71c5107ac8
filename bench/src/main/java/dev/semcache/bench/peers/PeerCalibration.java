package dev.semcache.bench.peers;

import dev.semcache.bench.VectorCorpus;
import dev.semcache.embedding.ModelSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * {@code ./semcache bench peers [SIZES [M [INDEXES]]]}: for each size (default 10000,100000), builds exact search, Lucene
 * HNSW and jvector over the same corpus vectors, then finds for each recall target the narrowest search
 * width at which each index's mean recall@10 over the 200 held-out queries reaches it (or, where no width up to
 * 1024 does, the widest, marked {@code reached=false}), and writes widths,
 * recalls, build times and sizes to {@value #FILE} for {@link IndexPeersBenchmark} to time.
 *
 * <p>{@code M} (default 16, semcache's) tries another graph degree; its figures then go to a file of their own
 * ({@code peers-calibration-mM-b100.properties}), which the benchmark does not read. {@code INDEXES}: a comma
 * list of {@code lucene}, {@code jvector} (default both).
 *
 * <p>Needs {@code ./semcache bench corpus} first. Builds run in one thread each (about two minutes at 100k).
 */
public final class PeerCalibration {
  public static final String FILE = "bench/results/peers-calibration.properties";
  static final int K = 10;
  /** The same held-out queries as {@code IndexSearchBenchmark}: never indexed. */
  static final int QUERIES = 200;
  static final double[] TARGETS = {0.95, 0.99};
  /** Widths tried, narrowest first; the first that reaches a target is kept. */
  static final int[] WIDTHS = {10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224,
      256, 320, 384, 448, 512, 640, 768, 1024};

  private PeerCalibration() {}

  public static void main(String[] args) throws IOException {
    List<Integer> sizes = new ArrayList<>();
    for (String s : (args.length > 0 ? args[0] : "10000,100000").split(",")) {
      sizes.add(Integer.parseInt(s.trim()));
    }
    GraphParams params = args.length > 1 ? new GraphParams(Integer.parseInt(args[1]), GraphParams.SEMCACHE.beamWidth())
        : GraphParams.SEMCACHE;
    List<PeerKind> kinds = new ArrayList<>();
    for (String s : (args.length > 2 ? args[2] : "lucene,jvector").split(",")) {
      kinds.add(PeerKind.parse(s));
    }
    // another graph than semcache's is an experiment: its figures go beside, not into, what the benchmark reads
    Path file = Path.of(params.equals(GraphParams.SEMCACHE) ? FILE
        : FILE.replace(".properties", "-m" + params.m() + "-b" + params.beamWidth() + ".properties"));
    VectorCorpus corpus = VectorCorpus.load(ModelSpec.DEFAULT);
    List<float[]> queries = corpus.queries(QUERIES);
    Path workDir = workDir();
    Properties out = new Properties();
    out.setProperty("date", Instant.now().toString());
    out.setProperty("k", Integer.toString(K));
    out.setProperty("queries", Integer.toString(QUERIES));
    out.setProperty("graph", params.toString());
    System.out.printf("| entries | index | build s | bytes/vector | target | width | recall@10 |%n|---:|---|---:|---:|---:|---:|---:|%n");
    for (int size : sizes) {
      List<float[]> vectors = corpus.vectors(size, QUERIES);
      System.err.printf("%d vectors: exact truth for %d queries%n", size, QUERIES);
      int[][] truth = Recall.truth(vectors, queries, K);
      out.setProperty(size + ".exact.bytes_per_vector", Integer.toString(corpus.dimension * Float.BYTES));
      for (PeerKind kind : kinds) {
        System.err.printf("%d vectors: building %s%n", size, kind.label());
        long start = System.nanoTime();
        try (KnnIndex index = kind.open(vectors, workDir, params, true)) {
          double buildSeconds = (System.nanoTime() - start) / 1e9;
          String prefix = size + "." + kind.label() + ".";
          out.setProperty(prefix + "index", index.toString());
          out.setProperty(prefix + "build_s", String.format("%.1f", buildSeconds));
          out.setProperty(prefix + "bytes_per_vector", String.format("%.0f", index.bytes() / (double) size));
          System.err.printf("  %s built in %.1f s%n", index, buildSeconds);
          for (double target : TARGETS) {
            int chosen = -1;
            double recall = Double.NaN;
            for (int width : WIDTHS) {
              recall = Recall.mean(index, queries, truth, K, width);
              System.err.printf("  width %d: recall@10 %.4f%n", width, recall);
              if (recall >= target) {
                chosen = width;
                break;
              }
            }
            // not reached: the widest width tried, so that the benchmark times the best recall this index gives
            out.setProperty(key(size, kind, target) + ".width", Integer.toString(chosen < 0 ? WIDTHS[WIDTHS.length - 1] : chosen));
            out.setProperty(key(size, kind, target) + ".reached", Boolean.toString(chosen >= 0));
            out.setProperty(key(size, kind, target) + ".recall_at_10", String.format("%.4f", recall));
            System.out.printf("| %,d | %s | %.1f | %.0f | %.2f | %s | %.4f |%n", size, kind.label(), buildSeconds,
                index.bytes() / (double) size, target,
                chosen < 0 ? "not reached at " + WIDTHS[WIDTHS.length - 1] : Integer.toString(chosen), recall);
          }
        }
      }
    }
    Files.createDirectories(file.getParent());
    try (var w = Files.newBufferedWriter(file)) {
      out.store(w, "PeerCalibration: per index and recall target, the narrowest width reaching it (reached=false: the widest tried)");
    }
    System.err.println("wrote " + file.toAbsolutePath());
  }

  static String key(int size, PeerKind kind, double target) {
    return String.format(java.util.Locale.ROOT, "%d.%s.%.2f", size, kind.label(), target);
  }

  static Path workDir() {
    return Path.of(System.getProperty("semcache.bench.dir", "bench/target"), "peers");
  }

  /** The width calibrated for an index, size and target, from {@value #FILE}. */
  static int width(int size, PeerKind kind, double target) throws IOException {
    Path file = Path.of(FILE);
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException(file.toAbsolutePath() + " is missing; make it first with './semcache bench peers'");
    }
    Properties p = new Properties();
    try (var r = Files.newBufferedReader(file)) {
      p.load(r);
    }
    String value = p.getProperty(key(size, kind, target) + ".width");
    if (value == null) {
      throw new IllegalStateException("no width for " + key(size, kind, target) + " in " + file
          + " (not calibrated at that size); sizes are the argument of './semcache bench peers'");
    }
    return Integer.parseInt(value);
  }
}
