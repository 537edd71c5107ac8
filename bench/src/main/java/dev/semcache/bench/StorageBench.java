package dev.semcache.bench;

import dev.semcache.index.CacheStorage;
import dev.semcache.index.Directories;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code ./semcache bench storage [ENTRIES]}: the whole storage (RocksDB + Lucene) on real embeddings:
 * store throughput, bytes per entry on disk, time to reopen cleanly, and time to rebuild the index from
 * the store after it is deleted. Prints one properties block; progress goes to stderr.
 */
final class StorageBench {
  private StorageBench() {}

  static void run(int entries) throws Exception {
    VectorCorpus corpus = VectorCorpus.load(dev.semcache.embedding.ModelSpec.DEFAULT);
    List<float[]> vectors = corpus.vectors(entries, 0);
    Path dir = Files.createTempDirectory("semcache-storage-bench");
    StorageOptions options = StorageOptions.defaults();
    try {
      long start = System.nanoTime();
      try (CacheStorage s = CacheStorage.open(dir, options, InstantSource.system())) {
        long last = start;
        for (int i = 0; i < entries; i++) {
          s.store("bench", Scope.EMPTY, "prompt number " + i, "response number " + i + " of some length", vectors.get(i),
              null, Map.of());
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
      try (CacheStorage s = CacheStorage.open(dir, options, InstantSource.system())) {
        s.entryCount();
      }
      double reopenSeconds = (System.nanoTime() - start) / 1e9;
      Directories.deleteRecursively(dir.resolve("index"));
      start = System.nanoTime();
      try (CacheStorage s = CacheStorage.open(dir, options, InstantSource.system())) {
        if (s.indexedCount() != entries) {
          throw new IllegalStateException("rebuilt index holds " + s.indexedCount() + " of " + entries);
        }
      }
      double rebuildSeconds = (System.nanoTime() - start) / 1e9;
      System.out.printf("entries=%d%nstores_per_s=%.0f%nstore_bytes_per_entry=%.0f%nindex_bytes_per_entry=%.0f%n"
              + "reopen_s=%.2f%nrebuild_s=%.1f%nrebuild_entries_per_s=%.0f%n",
          entries, entries / storeSeconds, storeBytes / (double) entries, indexBytes / (double) entries,
          reopenSeconds, rebuildSeconds, entries / rebuildSeconds);
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
