package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.semcache.storage.opensearch.OpenSearchOptions;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * The OpenSearch cluster of {@code storage.backend: opensearch} (docs/cluster.md).
 *
 * @param hosts the HTTP addresses of some of its nodes, comma-separated ({@code http://os1:9200,http://os2:9200})
 * @param indexPrefix prefix of semcache's index names in the cluster
 * @param shards primary shards of the entries index
 * @param replicas copies of each shard besides the primary (1 survives the loss of any one node)
 * @param username basic-auth user, empty for none
 * @param password basic-auth password, empty for none
 * @param connectTimeoutMs how long a connection to a node may take
 * @param requestTimeoutMs how long a request may take, and a write may wait for an unavailable shard
 */
public record OpenSearchConfig(
    @JsonProperty("hosts") String hosts,
    @JsonProperty("index_prefix") String indexPrefix,
    @JsonProperty("shards") int shards,
    @JsonProperty("replicas") int replicas,
    @JsonProperty("username") String username,
    @JsonProperty("password") String password,
    @JsonProperty("connect_timeout_ms") long connectTimeoutMs,
    @JsonProperty("request_timeout_ms") long requestTimeoutMs) {

  public OpenSearchConfig {
    username = username == null ? "" : username;
    password = password == null ? "" : password;
    toOptions(hosts, indexPrefix, shards, replicas, username, password, connectTimeoutMs, requestTimeoutMs); // validates
  }

  public static OpenSearchConfig defaults() {
    OpenSearchOptions d = OpenSearchOptions.defaults();
    return new OpenSearchConfig(String.join(",", d.hosts()), d.indexPrefix(), d.shards(), d.replicas(), "", "",
        d.connectTimeout().toMillis(), d.requestTimeout().toMillis());
  }

  public OpenSearchOptions toOptions() {
    return toOptions(hosts, indexPrefix, shards, replicas, username, password, connectTimeoutMs, requestTimeoutMs);
  }

  private static OpenSearchOptions toOptions(String hosts, String prefix, int shards, int replicas, String user,
      String pass, long connectMs, long requestMs) {
    HttpConfig.positive("storage.opensearch.connect_timeout_ms", connectMs);
    HttpConfig.positive("storage.opensearch.request_timeout_ms", requestMs);
    List<String> list = hosts == null ? List.of()
        : Arrays.stream(hosts.split(",")).map(String::strip).filter(h -> !h.isEmpty()).toList();
    return new OpenSearchOptions(list, prefix, shards, replicas, user.isEmpty() ? null : user,
        pass.isEmpty() ? null : pass, Duration.ofMillis(connectMs), Duration.ofMillis(requestMs));
  }
}
