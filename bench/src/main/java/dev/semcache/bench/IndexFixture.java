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
 * A Lucene vector index of {@code size} corpus vectors, built once per (size, format) under
 * {@code bench/target/indexes/} and reopened by later trials. Layout of partitions: half the entries
 * in one large partition, the other half spread over {@link #SMALL_PARTITIONS} small ones (a big tenant
 * beside many small ones). Building records its figures in {@code build.properties} beside the index.
 */
final class IndexFixture {
  static final int SMALL_PARTITIONS = 1000;
  static final int QUERIES = 200;
  static final long EXPIRES = Long.MAX_VALUE / 2;
  static final String LARGE = Keys.partition("large", Scope.EMPTY);

  static String partitionOf(int i) {
    return i % 2 == 0 ? LARGE : small(i / 2 % SMALL_PARTITIONS);
  }

  static String small(int p) {
    return Keys.partition("small-" + p, Scope.EMPTY);
  }

  final LuceneVectorIndex index;
  final List<float[]> vectors;
  final Properties figures;

  private IndexFixture(LuceneVectorIndex index, List<float[]> vectors, Properties figures) {
    this.index = index;
    this.vectors = vectors;
    this.figures = figures;
  }

  static IndexFixture open(VectorCorpus corpus, int size, VectorFormat format, int candidates) throws IOException {
    List<float[]> vectors = corpus.vectors(size, QUERIES);
    Path dir = Path.of(System.getProperty("semcache.bench.dir", "bench/target"), "indexes", size + "-" + format);
    Path figuresFile = dir.resolve("build.properties");
    Properties figures = new Properties();
    if (Files.isRegularFile(figuresFile)) {
      long start = System.nanoTime();
      LuceneVectorIndex index = LuceneVectorIndex.open(dir.resolve("index"), format, 16, 100, candidates);
      index.refresh();
      figures.load(Files.newBufferedReader(figuresFile));
      figures.setProperty("reopen_ms", Long.toString((System.nanoTime() - start) / 1_000_000));
      return new IndexFixture(index, vectors, figures);
    }
    Files.createDirectories(dir);
    long heapBefore = usedHeap();
    long start = System.nanoTime();
    LuceneVectorIndex index = LuceneVectorIndex.open(dir.resolve("index"), format, 16, 100, candidates);
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
    double seconds = (System.nanoTime() - start) / 1e9;
    figures.setProperty("size", Integer.toString(size));
    figures.setProperty("real_vectors", Integer.toString(Math.min(size, corpus.real.size() - QUERIES)));
    figures.setProperty("build_s", String.format("%.1f", seconds));
    figures.setProperty("inserts_per_s", String.format("%.0f", size / seconds));
    figures.setProperty("disk_bytes_per_entry", String.format("%.0f", index.diskBytes() / (double) size));
    figures.setProperty("heap_bytes_per_entry", String.format("%.0f", Math.max(0, usedHeap() - heapBefore) / (double) size));
    try (var w = Files.newBufferedWriter(figuresFile)) {
      figures.store(w, "built by IndexFixture");
    }
    return new IndexFixture(index, vectors, figures);
  }

  private static long usedHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }
}
