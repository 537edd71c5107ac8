package dev.semcache.bench;

import java.util.List;
import java.util.Objects;

/**
 * The measured figures a sizing is derived from ({@link SizingCalculator}), each with the file it was read
 * from, and the machine they were measured on. Times are CPU-seconds of one core; sizes are bytes.
 *
 * @param exactHitCpuS one exact hit answered over HTTP, end to end (the load run's cores over its exact
 *     hits per second: server, load client and background work included, so an upper bound)
 * @param embeddedLookupCpuS one lookup that is embedded, over HTTP, end to end (the load run's cores over
 *     its misses per second into an empty partition: inference, HTTP, a search of nothing)
 * @param search one vector search (k = 1, re-ranked, reading the match) by the size of the partition searched
 * @param storeCpuS one store whose embedding is reused from its miss (RocksDB and Lucene writes)
 * @param heapFixedBytes heap in use after a full GC with the model and an empty storage open
 * @param heapBytesPerEntry heap each stored entry adds
 * @param pendingLookupBytes heap of one remembered miss (its embedding, prompt and cache node)
 * @param rememberedLookupBytes heap of one remembered lookup (for audits and feedback)
 * @param diskBytesPerEntry RocksDB and Lucene bytes on disk per entry, with {@code measuredPayloadBytes}
 * @param measuredPayloadBytes prompt and response bytes per entry in the measurement of {@code diskBytesPerEntry}
 * @param indexBytesPerEntry Lucene vectors and HNSW graph per entry (memory-mapped: the off-heap working set)
 * @param blockCacheBytes the RocksDB block cache (off heap, {@code StorageOptions} default)
 * @param modelBytes native memory of the model's ONNX Runtime sessions
 */
record SizingFigures(
    Figure exactHitCpuS,
    Figure embeddedLookupCpuS,
    SearchCurve search,
    Figure storeCpuS,
    Figure heapFixedBytes,
    Figure heapBytesPerEntry,
    Figure pendingLookupBytes,
    Figure rememberedLookupBytes,
    Figure diskBytesPerEntry,
    Figure measuredPayloadBytes,
    Figure indexBytesPerEntry,
    Figure blockCacheBytes,
    Figure modelBytes,
    String machine) {

  SizingFigures {
    Objects.requireNonNull(search, "search");
    Objects.requireNonNull(machine, "machine");
  }

  /** Every figure with its name, in the order of the report. */
  List<Named> all() {
    return List.of(new Named("exact hit, CPU per request (HTTP, end to end)", exactHitCpuS),
        new Named("embedded lookup, CPU per request (HTTP, end to end, empty partition)", embeddedLookupCpuS),
        new Named("store after a miss (embedding reused)", storeCpuS),
        new Named("heap, fixed", heapFixedBytes),
        new Named("heap per entry", heapBytesPerEntry),
        new Named("heap per pending miss", pendingLookupBytes),
        new Named("heap per remembered lookup", rememberedLookupBytes),
        new Named("disk per entry (RocksDB + Lucene)", diskBytesPerEntry),
        new Named("payload per entry in that measurement", measuredPayloadBytes),
        new Named("Lucene vectors + graph per entry", indexBytesPerEntry),
        new Named("RocksDB block cache", blockCacheBytes),
        new Named("ONNX Runtime sessions", modelBytes));
  }

  record Named(String name, Figure figure) {}

  /**
   * One measured or stated figure.
   *
   * @param source the file it was read from (or "estimate: why")
   */
  record Figure(double value, String unit, String source) {
    Figure {
      if (!(value >= 0) || Double.isInfinite(value)) {
        throw new IllegalArgumentException("a figure must be finite and not negative; value=" + value + " from " + source);
      }
    }
  }

  /**
   * Search CPU-seconds at measured partition sizes, interpolated linearly in log-log between them; below
   * the smallest it is the smallest's figure (smaller partitions are cheaper: conservative), above the
   * largest the last segment's slope continues.
   */
  record SearchCurve(List<Point> points, String source) {
    SearchCurve {
      if (points.isEmpty()) {
        throw new IllegalArgumentException("a search curve needs at least one point");
      }
      for (int i = 1; i < points.size(); i++) {
        if (points.get(i).entries() <= points.get(i - 1).entries()) {
          throw new IllegalArgumentException("search curve points must grow in entries; got " + points);
        }
      }
      points = List.copyOf(points);
    }

    record Point(double entries, double seconds) {
      Point {
        if (!(entries > 0) || !(seconds > 0)) {
          throw new IllegalArgumentException("a search point needs positive entries and seconds; entries=" + entries
              + ", seconds=" + seconds);
        }
      }
    }

    double secondsAt(double entries) {
      if (points.size() == 1 || entries <= points.get(0).entries()) {
        return points.get(0).seconds();
      }
      int i = 1;
      while (i < points.size() - 1 && entries > points.get(i).entries()) {
        i++;
      }
      Point a = points.get(i - 1);
      Point b = points.get(i);
      double slope = Math.log(b.seconds() / a.seconds()) / Math.log(b.entries() / a.entries());
      return a.seconds() * Math.pow(entries / a.entries(), slope);
    }
  }
}
