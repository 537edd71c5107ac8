package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.semcache.index.StorageOptions;
import dev.semcache.index.VectorFormat;
import java.time.Duration;
import java.util.Locale;

/**
 * The entry store and the vector index. Index-structure settings (HNSW degree, beam) keep the values
 * measured in bench/README.md and are not configurable here.
 *
 * @param maxEntries entries kept at most across all namespaces (least recently hit go first)
 * @param maxBytes bytes of entries kept at most across all namespaces
 * @param syncWrites fsync the write-ahead log on every store: survives power loss, not only a crash
 * @param vectorFormat {@code float}, {@code int7} or {@code int4}
 * @param refreshMs the longest a stored entry waits before semantic lookups see it
 * @param commitS how often the index is made durable (the store's change log covers the rest)
 * @param sweepS how often expired entries are reclaimed
 */
public record StorageConfig(
    @JsonProperty("max_entries") long maxEntries,
    @JsonProperty("max_bytes") long maxBytes,
    @JsonProperty("sync_writes") boolean syncWrites,
    @JsonProperty("vector_format") String vectorFormat,
    @JsonProperty("refresh_ms") long refreshMs,
    @JsonProperty("commit_s") long commitS,
    @JsonProperty("sweep_s") long sweepS) {

  public StorageConfig {
    HttpConfig.positive("storage.max_entries", maxEntries);
    HttpConfig.positive("storage.max_bytes", maxBytes);
    format(vectorFormat);
    HttpConfig.positive("storage.refresh_ms", refreshMs);
    HttpConfig.positive("storage.commit_s", commitS);
    HttpConfig.positive("storage.sweep_s", sweepS);
  }

  public static StorageConfig defaults() {
    StorageOptions d = StorageOptions.defaults();
    return new StorageConfig(d.maxEntries(), d.maxBytes(), d.syncWrites(), d.vectorFormat().name().toLowerCase(Locale.ROOT),
        d.refreshInterval().toMillis(), d.commitInterval().toSeconds(), d.sweepInterval().toSeconds());
  }

  private static VectorFormat format(String f) {
    for (VectorFormat v : VectorFormat.values()) {
      if (v.name().toLowerCase(Locale.ROOT).equals(f)) {
        return v;
      }
    }
    throw new IllegalArgumentException("storage.vector_format must be float, int7 or int4; storage.vector_format=" + f);
  }

  public StorageOptions toOptions(int dimension) {
    StorageOptions d = StorageOptions.defaults();
    return new StorageOptions(dimension, maxEntries, maxBytes, d.blockCacheBytes(), syncWrites, format(vectorFormat),
        d.maxConn(), d.beamWidth(), d.candidates(), Duration.ofMillis(refreshMs), Duration.ofSeconds(commitS),
        Duration.ofSeconds(sweepS));
  }
}
