package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.NamespaceConfigCodec;
import dev.semcache.index.Namespaces;
import dev.semcache.index.StoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Namespace configs: one document per namespace in the configs index (id = name, the config as its
 * versioned JSON), and this node's copy of them, re-read every {@link OpenSearchCacheStorage#CONFIG_RELOAD_MS}
 * so that a change made through another node arrives within that interval.
 */
final class ClusterConfigs {
  /** Told when a namespace's TTL settings change (the k-NN filter's expiry depends on them). */
  interface TtlChange {
    void changed(String namespace, NamespaceConfig config);
  }

  private final ClusterRequests requests;
  private final String index;
  private final Map<String, NamespaceConfig> configs = new ConcurrentHashMap<>();
  private TtlChange ttlChange = (ns, c) -> {};

  ClusterConfigs(ClusterRequests requests, Indices indices) {
    this.requests = requests;
    this.index = indices.configs();
  }

  void onTtlChange(TtlChange listener) {
    this.ttlChange = listener;
  }

  NamespaceConfig config(String namespace) {
    return stored(namespace).orElseGet(NamespaceConfig::defaults);
  }

  Optional<NamespaceConfig> stored(String namespace) {
    NamespaceConfig cached = configs.get(namespace);
    if (cached != null) {
      return Optional.of(cached);
    }
    ClusterClient.Reply r = requests.client().call("GET", "/" + index + "/_doc/" + ClusterClient.segment(namespace),
        Map.of(), null);
    if (r.status() == 404 || !r.body().path("found").asBoolean(false)) {
      ClusterRequests.requireFound(r, "read the config of namespace " + namespace);
      return Optional.empty();
    }
    NamespaceConfig c = decode(namespace, r.body().path("_source"));
    configs.putIfAbsent(namespace, c);
    return Optional.of(c);
  }

  Optional<NamespaceConfig> cached(String namespace) {
    return Optional.ofNullable(configs.get(namespace));
  }

  void put(String namespace, NamespaceConfig config) {
    Namespaces.requireValid(namespace);
    NamespaceConfig before = config(namespace);
    ClusterClient.Reply r = requests.client().call("PUT", "/" + index + "/_doc/" + ClusterClient.segment(namespace),
        Map.of("refresh", "true", "timeout", requests.timeout()), doc(namespace, config));
    ClusterRequests.requireOk(r, "store the config of namespace " + namespace);
    configs.put(namespace, config);
    if (before.slidingTtl() != config.slidingTtl()
        || (config.slidingTtl() && before.maxTtlSeconds() != config.maxTtlSeconds())) {
      ttlChange.changed(namespace, config);
    }
  }

  NamespaceConfig createIfAbsent(String namespace, NamespaceConfig config) {
    Optional<NamespaceConfig> existing = stored(namespace);
    if (existing.isPresent()) {
      return existing.get();
    }
    Namespaces.requireValid(namespace);
    ClusterClient.Reply r = requests.client().call("PUT", "/" + index + "/_create/" + ClusterClient.segment(namespace),
        Map.of("refresh", "true", "timeout", requests.timeout()), doc(namespace, config));
    if (r.status() == 409) {
      configs.remove(namespace);
      return stored(namespace).orElseThrow(() -> new StoreException("namespace " + namespace
          + " exists in the cluster but its config cannot be read"));
    }
    ClusterRequests.requireOk(r, "create namespace " + namespace);
    configs.put(namespace, config);
    return config;
  }

  List<String> namespaces() {
    List<String> out = new ArrayList<>();
    forEach((ns, c) -> out.add(ns));
    out.sort(null);
    return out;
  }

  /** Re-reads every config: changes and removals made through other nodes arrive. */
  void reload() {
    Map<String, NamespaceConfig> fresh = new HashMap<>();
    forEach(fresh::put);
    configs.putAll(fresh);
    configs.keySet().retainAll(fresh.keySet());
  }

  private void forEach(BiConsumer<String, NamespaceConfig> action) {
    requests.scan(index, ClusterClient.JSON.createObjectNode().set("match_all", ClusterClient.JSON.createObjectNode()),
        "namespace", hit -> {
          String ns = hit.path("_source").path("namespace").asText();
          action.accept(ns, decode(ns, hit.path("_source")));
        });
  }

  private static ObjectNode doc(String namespace, NamespaceConfig c) {
    return ClusterClient.JSON.createObjectNode().put("namespace", namespace)
        .put("config", new String(NamespaceConfigCodec.encode(c), StandardCharsets.UTF_8));
  }

  private static NamespaceConfig decode(String namespace, JsonNode source) {
    return NamespaceConfigCodec.decode(namespace, source.path("config").asText().getBytes(StandardCharsets.UTF_8));
  }
}
