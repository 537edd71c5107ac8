package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What one tenant (a namespace, a client address) may hold of the server's shared memory and
 * connections, so that one cannot starve the others.
 *
 * @param pendingBytes estimated heap bytes of the embeddings that misses keep for their store, all
 *     namespaces together
 * @param rememberedBytes estimated heap bytes of the lookups remembered for audits and feedback (their
 *     prompts, and the cached answer of sampled ones), all namespaces together; a lookup beyond it is
 *     remembered slim
 * @param namespaceShare the fraction of each of those tables one namespace may hold, above 0 and at
 *     most 1
 * @param maxConnections open connections at most, all clients together; one more is closed at once
 * @param maxConnectionsPerAddress open connections at most from one client address
 * @param metricsNamespaces namespaces with a {@code namespace} label of their own in {@code /metrics};
 *     the others are counted under {@code other}
 */
public record LimitsConfig(
    @JsonProperty("pending_bytes") long pendingBytes,
    @JsonProperty("remembered_bytes") long rememberedBytes,
    @JsonProperty("namespace_share") double namespaceShare,
    @JsonProperty("max_connections") int maxConnections,
    @JsonProperty("max_connections_per_address") int maxConnectionsPerAddress,
    @JsonProperty("metrics_namespaces") int metricsNamespaces) {

  public LimitsConfig {
    HttpConfig.notNegative("limits.metrics_namespaces", metricsNamespaces);
    HttpConfig.positive("limits.pending_bytes", pendingBytes);
    HttpConfig.positive("limits.remembered_bytes", rememberedBytes);
    if (!(namespaceShare > 0 && namespaceShare <= 1)) {
      throw new IllegalArgumentException("limits.namespace_share must be above 0 and at most 1;"
          + " limits.namespace_share=" + namespaceShare);
    }
    HttpConfig.positive("limits.max_connections", maxConnections);
    HttpConfig.positive("limits.max_connections_per_address", maxConnectionsPerAddress);
  }

  public static LimitsConfig defaults() {
    return new LimitsConfig(64L << 20, 64L << 20, 0.25, 10_000, 1_000, 100);
  }
}
