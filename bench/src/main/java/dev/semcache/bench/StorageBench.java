package dev.semcache.bench;

import dev.semcache.index.CacheStorage;
import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.Directories;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.stream.Stream;

/**
 * {@code ./semcache bench storage [ENTRIES]}: the whole storage (RocksDB + Lucene) on real embeddings:
 * store throughput, bytes per entry on disk, time to reopen cleanly, and time to rebuild the index from
 * the store after it is deleted. Prints one properties block (with the machine: the sizing report reads it
 * from {@code bench/results/storage-DATE.properties}); progress goes to stderr.
 */
final class StorageBench {
  private StorageBench() {}

  static void run(int entries) throws Exception {
    measure(entries).forEach((k, v) -> System.out.println(k + "=" + v));
  }

  /** The figures, in order, with the machine they were measured on. */
  static Map<String, String> measure(int entries) throws Exception {
    VectorCorpus corpus = VectorCorpus.load(dev.semcache.embedding.ModelSpec.DEFAULT);
    List<float[]> vectors = corpus.vectors(entries, 0);
    Path dir = Files.createTempDirectory("semcache-storage-bench");
    StorageOptions options = StorageOptions.defaults();
    try {
      long payloadBytes = 0;
      long start = System.nanoTime();
      try (CacheStorage s = EmbeddedCacheStorage.open(dir, options, InstantSource.system())) {
        long last = start;
        for (int i = 0; i < entries; i++) {
          String prompt = "prompt number " + i;
          String response = "response number " + i + " of some length";
          payloadBytes += prompt.length() + response.length();
          s.store("bench", Scope.EMPTY, prompt, response, vectors.get(i), null, Map.of());
          long now = System.nanoTime();
          if (now - last > 10_000_000_000L) {
            System.err.printf("  stored %d / %d (%.0f/s)%n", i, entries, i / ((now - start) / 1e9));
            last = now;
          }
        }
      }
      double storeSeconds = (System.nanoTime() - start) / 1e9;
      long storeBytes = size(dir.resolve("store"));
      long indexBytes = size(dir.resolve("index"));
      start = System.nanoTime();
      try (CacheStorage s = EmbeddedCacheStorage.open(dir, options, InstantSource.system())) {
        s.entryCount();
      }
      double reopenSeconds = (System.nanoTime() - start) / 1e9;
      Directories.deleteRecursively(dir.resolve("index"));
      start = System.nanoTime();
      try (CacheStorage s = EmbeddedCacheStorage.open(dir, options, InstantSource.system())) {
        if (s.indexedCount() != entries) {
          throw new IllegalStateException("rebuilt index holds " + s.indexedCount() + " of " + entries);
        }
      }
      double rebuildSeconds = (System.nanoTime() - start) / 1e9;
      Map<String, String> p = new LinkedHashMap<>();
      p.put("entries", Integer.toString(entries));
      p.put("stores_per_s", String.format("%.0f", entries / storeSeconds));
      p.put("store_bytes_per_entry", String.format("%.0f", storeBytes / (double) entries));
      p.put("index_bytes_per_entry", String.format("%.0f", indexBytes / (double) entries));
      p.put("payload_bytes_per_entry", String.format("%.0f", payloadBytes / (double) entries));
      p.put("reopen_s", String.format("%.2f", reopenSeconds));
      p.put("rebuild_s", String.format("%.1f", rebuildSeconds));
      p.put("rebuild_entries_per_s", String.format("%.0f", entries / rebuildSeconds));
      p.put("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
      p.put("java", System.getProperty("java.version"));
      p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
      p.put("date", java.time.Instant.now().toString());
      return p;
    } finally {
      Directories.deleteRecursively(dir);
    }
  }

  private static long size(Path p) throws IOException {
    try (Stream<Path> s = Files.walk(p)) {
      return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
    }
  }
}
