package dev.semcache.index;

import java.time.Duration;

/**
 * Settings of {@link CacheStorage}.
 *
 * @param dimension length of every stored vector (the model's dimension)
 * @param maxEntries entries kept at most across all namespaces
 * @param maxBytes bytes of entry values kept at most across all namespaces
 * @param blockCacheBytes RocksDB block cache
 * @param syncWrites fsync the write-ahead log on every write (power-loss durability; a process crash
 *     loses nothing either way)
 * @param vectorFormat the Lucene HNSW format
 * @param maxConn HNSW graph degree (Lucene's {@code maxConn}, "M")
 * @param beamWidth HNSW construction beam
 * @param candidates neighbours HNSW gathers per search before the best are kept
 * @param refreshInterval the longest a stored entry waits before semantic search sees it
 * @param commitInterval how often the index is made durable (the change log covers the rest)
 * @param sweepInterval how often expired entries are reclaimed and bounds enforced
 * @param compaction when the index merges itself down to a few segments
 */
public record StorageOptions(
    int dimension,
    long maxEntries,
    long maxBytes,
    long blockCacheBytes,
    boolean syncWrites,
    VectorFormat vectorFormat,
    int maxConn,
    int beamWidth,
    int candidates,
    Duration refreshInterval,
    Duration commitInterval,
    Duration sweepInterval,
    CompactionPolicy compaction) {

  /**
   * Defaults for a 384-dimensional model. The refresh interval is 100 ms: an exact repeat of a stored
   * prompt hits at once through the exact path, so the delay only matters for a paraphrase that
   * arrives within 100 ms of the answer it should find, while each refresh writes a small segment that
   * searches must visit until it is merged; 100 ms keeps that cost negligible. The HNSW degree is 32:
   * at a million entries in two segments it keeps recall@1 at 0.995 where 16 fell to 0.98, for about the
   * same build time and disk (bench/README.md, issue 15).
   */
  public static StorageOptions defaults() {
    return new StorageOptions(384, 10_000_000, 16L << 30, 64L << 20, false, VectorFormat.FLOAT, 32, 100, 32,
        Duration.ofMillis(100), Duration.ofSeconds(10), Duration.ofSeconds(1), CompactionPolicy.defaults());
  }

  public StorageOptions {
    if (dimension <= 0) {
      throw new IllegalArgumentException("dimension must be positive; dimension=" + dimension);
    }
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("max entries must be positive; max_entries=" + maxEntries);
    }
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("max bytes must be positive; max_bytes=" + maxBytes);
    }
    if (maxConn < 2 || maxConn > 512) {
      throw new IllegalArgumentException("maxConn must be between 2 and 512; max_conn=" + maxConn);
    }
    if (beamWidth < 1 || beamWidth > 3200) {
      throw new IllegalArgumentException("beamWidth must be between 1 and 3200; beam_width=" + beamWidth);
    }
    if (candidates < 1) {
      throw new IllegalArgumentException("candidates must be positive; candidates=" + candidates);
    }
    for (var d : new Duration[] {refreshInterval, commitInterval, sweepInterval}) {
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("intervals must be positive; got " + d);
      }
    }
    if (compaction == null) {
      throw new IllegalArgumentException("compaction policy must not be null (CompactionPolicy.off() turns it off)");
    }
  }

  public StorageOptions withVectorFormat(VectorFormat f) {
    return new StorageOptions(dimension, maxEntries, maxBytes, blockCacheBytes, syncWrites, f, maxConn, beamWidth,
        candidates, refreshInterval, commitInterval, sweepInterval, compaction);
  }

  public StorageOptions withLimits(long entries, long bytes) {
    return new StorageOptions(dimension, entries, bytes, blockCacheBytes, syncWrites, vectorFormat, maxConn, beamWidth,
        candidates, refreshInterval, commitInterval, sweepInterval, compaction);
  }

  public StorageOptions withIntervals(Duration refresh, Duration commit, Duration sweep) {
    return new StorageOptions(dimension, maxEntries, maxBytes, blockCacheBytes, syncWrites, vectorFormat, maxConn,
        beamWidth, candidates, refresh, commit, sweep, compaction);
  }

  public StorageOptions withCompaction(CompactionPolicy c) {
    return new StorageOptions(dimension, maxEntries, maxBytes, blockCacheBytes, syncWrites, vectorFormat, maxConn,
        beamWidth, candidates, refreshInterval, commitInterval, sweepInterval, c);
  }
}
