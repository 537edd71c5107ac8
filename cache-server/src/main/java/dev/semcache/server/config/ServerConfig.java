package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.index.NamespaceConfig;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;

/**
 * Everything {@code semcache serve} can be told, in one typed tree. Loaded by {@link ConfigLoader}
 * from the built-in defaults, a YAML file, {@code SEMCACHE_*} environment variables and command-line
 * flags, each overriding the one before. docs/configuration.md describes every key.
 *
 * @param host the address to listen on; anything but loopback needs {@code api_keys}
 * @param port the TCP port
 * @param dataDir where the entry store and the vector index live
 * @param model the embedding model (see {@code semcache models})
 * @param http the HTTP server's limits
 * @param embedding the embedding front's threads and queue
 * @param storage the store's and the index's settings
 * @param audits audits' and feedback's window and sampling
 * @param namespaceDefaults the config a new namespace starts with
 * @param apiKeys who may call; empty means everyone on loopback
 * @param proxy proxy mode (OpenAI-compatible endpoints that forward misses to an upstream)
 * @param limits what one tenant may hold of shared memory and connections
 * @param tls TLS on the listener
 */
public record ServerConfig(
    @JsonProperty("host") String host,
    @JsonProperty("port") int port,
    @JsonProperty("data_dir") String dataDir,
    @JsonProperty("model") String model,
    @JsonProperty("http") HttpConfig http,
    @JsonProperty("embedding") EmbeddingConfig embedding,
    @JsonProperty("storage") StorageConfig storage,
    @JsonProperty("audits") AuditConfig audits,
    @JsonProperty("namespace_defaults") NamespaceConfig namespaceDefaults,
    @JsonProperty("api_keys") List<ApiKeyConfig> apiKeys,
    @JsonProperty("proxy") ProxyConfig proxy,
    @JsonProperty("limits") LimitsConfig limits,
    @JsonProperty("tls") TlsConfig tls) {

  @com.fasterxml.jackson.annotation.JsonCreator
  public ServerConfig {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must be an address or host name; host=" + host);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be between 0 and 65535 (0 picks a free one); port=" + port);
    }
    if (dataDir == null || dataDir.isBlank()) {
      throw new IllegalArgumentException("data_dir must name a folder; data_dir=" + dataDir);
    }
    if (model == null || !ModelSpec.KNOWN.contains(model)) {
      throw new IllegalArgumentException("model must be one of " + ModelSpec.KNOWN + "; model=" + model);
    }
    require(http, "http");
    require(embedding, "embedding");
    require(storage, "storage");
    require(audits, "audits");
    require(namespaceDefaults, "namespace_defaults");
    proxy = proxy == null ? ProxyConfig.defaults() : proxy;
    require(limits, "limits");
    require(tls, "tls");
    apiKeys = apiKeys == null ? List.of() : List.copyOf(apiKeys);
    long names = apiKeys.stream().map(ApiKeyConfig::name).distinct().count();
    if (names != apiKeys.size()) {
      throw new IllegalArgumentException("api_keys: every key needs a distinct name");
    }
    long hashes = apiKeys.stream().map(k -> k.sha256().toLowerCase(java.util.Locale.ROOT)).distinct().count();
    if (hashes != apiKeys.size()) {
      throw new IllegalArgumentException("api_keys: two keys have the same sha256");
    }
  }

  /** A config with proxy mode off and the default limits and TLS (off). */
  public ServerConfig(String host, int port, String dataDir, String model, HttpConfig http, EmbeddingConfig embedding,
      StorageConfig storage, AuditConfig audits, NamespaceConfig namespaceDefaults, List<ApiKeyConfig> apiKeys) {
    this(host, port, dataDir, model, http, embedding, storage, audits, namespaceDefaults, apiKeys, ProxyConfig.defaults(),
        LimitsConfig.defaults(), TlsConfig.defaults());
  }

  /** A config with the default limits and TLS (off). */
  public ServerConfig(String host, int port, String dataDir, String model, HttpConfig http, EmbeddingConfig embedding,
      StorageConfig storage, AuditConfig audits, NamespaceConfig namespaceDefaults, List<ApiKeyConfig> apiKeys,
      ProxyConfig proxy) {
    this(host, port, dataDir, model, http, embedding, storage, audits, namespaceDefaults, apiKeys, proxy,
        LimitsConfig.defaults(), TlsConfig.defaults());
  }

  /** This config with another proxy section. */
  public ServerConfig withProxy(ProxyConfig p) {
    return new ServerConfig(host, port, dataDir, model, http, embedding, storage, audits, namespaceDefaults, apiKeys, p,
        limits, tls);
  }

  /** This config with other limits. */
  public ServerConfig withLimits(LimitsConfig l) {
    return new ServerConfig(host, port, dataDir, model, http, embedding, storage, audits, namespaceDefaults, apiKeys, proxy,
        l, tls);
  }

  /** This config with other TLS settings. */
  public ServerConfig withTls(TlsConfig t) {
    return new ServerConfig(host, port, dataDir, model, http, embedding, storage, audits, namespaceDefaults, apiKeys, proxy,
        limits, t);
  }

  private static void require(Object section, String name) {
    if (section == null) {
      throw new IllegalArgumentException(name + " must be an object, not null");
    }
  }

  /** The embedded defaults: loopback, port 8080, ./data, the bundled model, no keys. */
  public static ServerConfig defaults() {
    return new ServerConfig("127.0.0.1", 8080, "data", ModelSpec.DEFAULT, HttpConfig.defaults(),
        EmbeddingConfig.defaults(), StorageConfig.defaults(), AuditConfig.defaults(), NamespaceConfig.defaults(), List.of(),
        ProxyConfig.defaults(), LimitsConfig.defaults(), TlsConfig.defaults());
  }

  /** Whether {@link #host} names only loopback addresses. */
  public boolean loopbackOnly() {
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("host does not resolve; host=" + host, e);
    }
  }
}
