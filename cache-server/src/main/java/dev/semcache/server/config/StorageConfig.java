package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.semcache.index.CompactionPolicy;
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
 * @param compactSegments the embedded index merges itself down to this many segments once quiet (0: never)
 * @param compactMinEntries ... but only when it holds at least this many entries
 * @param compactIdleS ... and only after this many seconds without a store, removal or expiry
 * @param backend {@code embedded} (RocksDB and Lucene in {@code data_dir}, the default) or {@code opensearch}
 *     (an OpenSearch k-NN cluster shared by any number of semcache nodes: docs/cluster.md)
 * @param opensearch the cluster, when {@code backend} is {@code opensearch}
 */
public record StorageConfig(
    @JsonProperty("backend") String backend,
    @JsonProperty("max_entries") long maxEntries,
    @JsonProperty("max_bytes") long maxBytes,
    @JsonProperty("sync_writes") boolean syncWrites,
    @JsonProperty("vector_format") String vectorFormat,
    @JsonProperty("refresh_ms") long refreshMs,
    @JsonProperty("commit_s") long commitS,
    @JsonProperty("sweep_s") long sweepS,
    @JsonProperty("compact_segments") int compactSegments,
    @JsonProperty("compact_min_entries") long compactMinEntries,
    @JsonProperty("compact_idle_s") long compactIdleS,
    @JsonProperty("opensearch") OpenSearchConfig opensearch) {

  public static final String EMBEDDED = "embedded";
  public static final String OPENSEARCH = "opensearch";

  public StorageConfig {
    if (!EMBEDDED.equals(backend) && !OPENSEARCH.equals(backend)) {
      throw new IllegalArgumentException("storage.backend must be embedded or opensearch; storage.backend=" + backend);
    }
    if (opensearch == null) {
      throw new IllegalArgumentException("storage.opensearch must be an object, not null");
    }
    HttpConfig.positive("storage.max_entries", maxEntries);
    HttpConfig.positive("storage.max_bytes", maxBytes);
    format(vectorFormat);
    HttpConfig.positive("storage.refresh_ms", refreshMs);
    HttpConfig.positive("storage.commit_s", commitS);
    HttpConfig.positive("storage.sweep_s", sweepS);
    if (compactSegments < 0) {
      throw new IllegalArgumentException("storage.compact_segments must not be negative (0 turns compaction off);"
          + " storage.compact_segments=" + compactSegments);
    }
    if (compactMinEntries < 0) {
      throw new IllegalArgumentException("storage.compact_min_entries must not be negative; storage.compact_min_entries="
          + compactMinEntries);
    }
    HttpConfig.positive("storage.compact_idle_s", compactIdleS);
  }

  public static StorageConfig defaults() {
    StorageOptions d = StorageOptions.defaults();
    return new StorageConfig(EMBEDDED, d.maxEntries(), d.maxBytes(), d.syncWrites(), d.vectorFormat().name().toLowerCase(Locale.ROOT),
        d.refreshInterval().toMillis(), d.commitInterval().toSeconds(), d.sweepInterval().toSeconds(),
        d.compaction().segments(), d.compaction().minEntries(), d.compaction().idle().toSeconds(),
        OpenSearchConfig.defaults());
  }

  /** Whether the entries live in an OpenSearch cluster rather than in {@code data_dir}. */
  public boolean clustered() {
    return OPENSEARCH.equals(backend);
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
        Duration.ofSeconds(sweepS), new CompactionPolicy(compactSegments, compactMinEntries,
        Duration.ofSeconds(compactIdleS)));
  }
}
