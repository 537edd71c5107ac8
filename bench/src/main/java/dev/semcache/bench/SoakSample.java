package dev.semcache.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

/**
 * One sample of a server process's footprint: heap used (the JVM's own {@code jvm_memory_used_bytes} of
 * the heap, from {@code /metrics}), resident memory and open file descriptors (from {@code /proc/PID}),
 * and the sizes on disk of the RocksDB store and the Lucene index. A figure that could not be read is -1.
 */
record SoakSample(double elapsedS, long heapUsed, long heapAfterGc, long heldBytes, long rss, long openFds, long rocksdbBytes,
    long luceneBytes, long requests, long failures) {

  static final List<String> COLUMNS = List.of("elapsed_s", "heap_used_bytes", "heap_after_gc_bytes", "held_bytes", "rss_bytes",
      "open_fds", "rocksdb_bytes", "lucene_bytes", "requests", "failures");

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static SoakSample take(double elapsedS, long pid, int port, Path data, long requests, long failures) {
    long[] heap = heap(port);
    return new SoakSample(elapsedS, heap[0], heap[1], heap[2], rss(pid), openFds(pid), size(data.resolve("store")),
        size(data.resolve("index")), requests, failures);
  }

  String csv() {
    return String.format(java.util.Locale.ROOT, "%.1f,%d,%d,%d,%d,%d,%d,%d,%d,%d", elapsedS, heapUsed, heapAfterGc, heldBytes,
        rss, openFds, rocksdbBytes, luceneBytes, requests, failures);
  }

  /**
   * A sample read back from a line of {@link #csv()} under {@code header} (a CSV's first line); a column
   * that an older CSV lacks reads as -1, not sampled.
   */
  static SoakSample fromCsv(List<String> header, String line) {
    String[] v = line.split(",");
    long[] c = COLUMNS.stream().mapToLong(name -> header.contains(name)
        ? (long) Double.parseDouble(v[header.indexOf(name)]) : -1).toArray();
    return new SoakSample(Double.parseDouble(v[header.indexOf("elapsed_s")]), c[1], c[2], c[3], c[4], c[5], c[6], c[7],
        c[8], c[9]);
  }

  /**
   * {@code jvm_memory_used_bytes{area="heap"}} in the server's Prometheus text, and the sum of {@code
   * jvm_memory_pool_collection_used_bytes} (each heap pool's use right after its last collection: the live
   * set, without the sawtooth of garbage between collections), and the sum of {@code semcache_held_bytes}
   * (the bounded tables of pending and remembered lookups: what of that live set is there by design).
   */
  static long[] heap(int port) {
    try {
      HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(10)).build();
      String text = HTTP.send(r, HttpResponse.BodyHandlers.ofString()).body();
      long used = -1;
      long afterGc = -1;
      long held = -1;
      for (String line : text.split("\n")) {
        if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
          used = (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        } else if (line.startsWith("jvm_memory_pool_collection_used_bytes{")) {
          afterGc = Math.max(0, afterGc) + (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        } else if (line.startsWith("semcache_held_bytes{")) {
          held = Math.max(0, held) + (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return new long[] {used, afterGc, held};
    } catch (IOException e) {
      return new long[] {-1, -1, -1};
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new long[] {-1, -1, -1};
    }
  }

  /** VmRSS of /proc/PID/status, in bytes. */
  static long rss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      return -1;
    } catch (IOException e) {
      return -1;
    }
  }

  static long openFds(long pid) {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.count();
    } catch (IOException e) {
      return -1;
    }
  }

  /** Bytes of the regular files under {@code dir} (files that vanish while counted are skipped). */
  static long size(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.mapToLong(f -> {
        try {
          return Files.isRegularFile(f) ? Files.size(f) : 0;
        } catch (NoSuchFileException e) {
          return 0;
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }
}
