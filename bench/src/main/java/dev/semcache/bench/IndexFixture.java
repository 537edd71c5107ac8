package dev.semcache.bench;

import dev.semcache.index.Keys;
import dev.semcache.index.LuceneVectorIndex;
import dev.semcache.index.Scope;
import dev.semcache.index.VectorFormat;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

/**
 * A Lucene vector index of {@code size} corpus vectors, built once per (size, format, layout) under
 * {@code bench/target/indexes/} and reopened by later trials. Layout of partitions (version 2): half the
 * entries in one large partition; the other half cut into 1,000 buckets ({@code i / 2 % 1000}), of which
 * 176 make six mid-size partitions ({@link #MID}: 50,000 down to 1,000 entries at 1M) and the other 824
 * one small partition each (500 entries at 1M): a big tenant beside tenants of every size. Building
 * records its figures in {@code build.properties} beside the index. {@link #merged} gives a copy of the
 * built index force-merged to fewer segments, made once and kept beside it.
 */
final class IndexFixture {
  static final int BUCKETS = 1000;
  static final int QUERIES = 200;
  static final long EXPIRES = Long.MAX_VALUE / 2;
  static final String LARGE = Keys.partition("large", Scope.EMPTY);
  /** Layout version, part of the directory name: an index built with another layout is not reused. */
  static final int LAYOUT = 2;

  /** A mid-size partition: buckets {@code [fromBucket, toBucket)} of the odd entries. */
  record Mid(String name, int fromBucket, int toBucket) {
    String partition() {
      return Keys.partition("mid-" + name, Scope.EMPTY);
    }
  }

  /** Named by their size at 1M entries (each bucket holds size / 2,000 entries). */
  static final List<Mid> MID = List.of(
      new Mid("p50k", 0, 100), new Mid("p20k", 100, 140), new Mid("p10k", 140, 160),
      new Mid("p5k", 160, 170), new Mid("p2k", 170, 174), new Mid("p1k", 174, 176));
  static final int SMALL_FIRST = 176;
  static final int SMALL_PARTITIONS = BUCKETS - SMALL_FIRST;

  static String partitionOf(int i) {
    if (i % 2 == 0) {
      return LARGE;
    }
    int bucket = i / 2 % BUCKETS;
    for (Mid m : MID) {
      if (bucket >= m.fromBucket() && bucket < m.toBucket()) {
        return m.partition();
      }
    }
    return small(bucket - SMALL_FIRST);
  }

  /** Small partition {@code p}, 0 to {@link #SMALL_PARTITIONS} - 1. */
  static String small(int p) {
    return Keys.partition("small-" + (SMALL_FIRST + p), Scope.EMPTY);
  }

  /** The mid-size partition named {@code name} ({@code p1k} ... {@code p50k}), or null. */
  static Mid mid(String name) {
    for (Mid m : MID) {
      if (m.name().equals(name)) {
        return m;
      }
    }
    return null;
  }

  final LuceneVectorIndex index;
  final List<float[]> vectors;
  final Properties figures;

  private IndexFixture(LuceneVectorIndex index, List<float[]> vectors, Properties figures) {
    this.index = index;
    this.vectors = vectors;
    this.figures = figures;
  }

  /**
   * The HNSW degree of an index whose directory name carries no {@code -mM} suffix: the indexes cached
   * before the degree became a parameter were built at 16 (semcache's default until 2026-12-03).
   */
  static final int UNSUFFIXED_MAX_CONN = 16;
  /** semcache's HNSW construction beam. */
  static final int BEAM_WIDTH = dev.semcache.index.StorageOptions.defaults().beamWidth();

  /**
   * The index as built by one writer inserting the entries in order ({@code mergeTo} 0), or a copy of it
   * force-merged to at most {@code mergeTo} segments, searched with {@code tuning}: a graph of degree
   * {@code maxConn}, built under Lucene's merge policy allowing {@code segmentsPerTier} segments per tier
   * (an index built with other values is built beside this one).
   */
  static IndexFixture open(VectorCorpus corpus, int size, VectorFormat format, int maxConn, double segmentsPerTier,
      int candidates, int mergeTo, LuceneVectorIndex.SearchTuning tuning) throws IOException {
    List<float[]> vectors = corpus.vectors(size, QUERIES);
    Path dir = Path.of(System.getProperty("semcache.bench.dir", "bench/target"), "indexes",
        size + "-" + format + "-layout" + LAYOUT + (maxConn == UNSUFFIXED_MAX_CONN ? "" : "-m" + maxConn)
        + (segmentsPerTier == LuceneVectorIndex.DEFAULT_SEGMENTS_PER_TIER ? "" : "-spt" + segmentsPerTier));
    Path figuresFile = dir.resolve("build.properties");
    Properties figures = new Properties();
    if (!Files.isRegularFile(figuresFile)) {
      build(dir, vectors, size, format, maxConn, segmentsPerTier, corpus);
    }
    figures.load(Files.newBufferedReader(figuresFile));
    Path indexDir = dir.resolve("index");
    if (mergeTo > 0) {
      indexDir = merged(dir, format, maxConn, mergeTo, figures);
    }
    long start = System.nanoTime();
    LuceneVectorIndex index = LuceneVectorIndex.open(indexDir, format, maxConn, BEAM_WIDTH, candidates, tuning,
        segmentsPerTier);
    index.refresh();
    figures.setProperty("reopen_ms", Long.toString((System.nanoTime() - start) / 1_000_000));
    figures.setProperty("segments", Integer.toString(index.segmentCount()));
    return new IndexFixture(index, vectors, figures);
  }

  /** A copy of {@code dir/index} force-merged to {@code mergeTo} segments, made once (with progress). */
  private static Path merged(Path dir, VectorFormat format, int maxConn, int mergeTo, Properties figures) throws IOException {
    Path target = dir.resolve("merged-" + mergeTo);
    Path done = target.resolve("merge.properties");
    if (!Files.isRegularFile(done)) {
      Path index = target.resolve("index");
      if (Files.exists(target)) {
        try (var walk = Files.walk(target)) {
          for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
            Files.delete(p);
          }
        }
      }
      Files.createDirectories(index);
      try (var files = Files.list(dir.resolve("index"))) {
        for (Path f : files.toList()) {
          if (!f.getFileName().toString().equals("write.lock")) {
            Files.copy(f, index.resolve(f.getFileName()));
          }
        }
      }
      System.err.printf("  force-merging a copy of the %s index to %d segments (minutes)%n", format, mergeTo);
      long start = System.nanoTime();
      try (LuceneVectorIndex copy = LuceneVectorIndex.open(index, format, maxConn, BEAM_WIDTH, 32)) {
        copy.forceMerge(mergeTo);
      }
      Properties m = new Properties();
      m.setProperty("merge_s", String.format("%.1f", (System.nanoTime() - start) / 1e9));
      try (var w = Files.newBufferedWriter(done)) {
        m.store(w, "force-merged by IndexFixture");
      }
    }
    Properties m = new Properties();
    m.load(Files.newBufferedReader(done));
    figures.setProperty("merge_to", Integer.toString(mergeTo));
    figures.setProperty("merge_s", m.getProperty("merge_s"));
    return target.resolve("index");
  }

  private static void build(Path dir, List<float[]> vectors, int size, VectorFormat format, int maxConn,
      double segmentsPerTier, VectorCorpus corpus)
      throws IOException {
    Path figuresFile = dir.resolve("build.properties");
    Properties figures = new Properties();
    Files.createDirectories(dir);
    long heapBefore = usedHeap();
    long start = System.nanoTime();
    LuceneVectorIndex index = LuceneVectorIndex.open(dir.resolve("index"), format, maxConn, BEAM_WIDTH, 32,
        LuceneVectorIndex.SearchTuning.DEFAULT, segmentsPerTier);
    long lastReport = start;
    for (int i = 0; i < size; i++) {
      index.upsert("e" + i, partitionOf(i), EXPIRES, vectors.get(i));
      long now = System.nanoTime();
      if (now - lastReport > 10_000_000_000L) {
        System.err.printf("  indexing %s: %d / %d%n", format, i, size);
        lastReport = now;
      }
    }
    index.commit(size);
    index.refresh();
    figures.setProperty("built_segments", Integer.toString(index.segmentCount()));
    double seconds = (System.nanoTime() - start) / 1e9;
    figures.setProperty("size", Integer.toString(size));
    figures.setProperty("max_conn", Integer.toString(maxConn));
    figures.setProperty("segments_per_tier", Double.toString(segmentsPerTier));
    figures.setProperty("real_vectors", Integer.toString(Math.min(size, corpus.real.size() - QUERIES)));
    figures.setProperty("build_s", String.format("%.1f", seconds));
    figures.setProperty("inserts_per_s", String.format("%.0f", size / seconds));
    figures.setProperty("disk_bytes_per_entry", String.format("%.0f", index.diskBytes() / (double) size));
    figures.setProperty("heap_bytes_per_entry", String.format("%.0f", Math.max(0, usedHeap() - heapBefore) / (double) size));
    index.close();
    try (var w = Files.newBufferedWriter(figuresFile)) {
      figures.store(w, "built by IndexFixture");
    }
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
