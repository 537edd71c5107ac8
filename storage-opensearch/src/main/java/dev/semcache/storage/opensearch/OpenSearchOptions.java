package dev.semcache.storage.opensearch;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where the cluster is and how semcache's indices are laid out in it.
 *
 * @param hosts HTTP addresses of some of the cluster's nodes ({@code http://host:9200}); requests spread
 *     over them and move on from one that fails
 * @param indexPrefix prefix of the index names ({@code semcache-} gives {@code semcache-entries}, {@code
 *     semcache-configs}, {@code semcache-records}); several caches can share a cluster under different prefixes
 * @param shards primary shards of the entries index (configs and records take one)
 * @param replicas copies of every shard besides the primary: 1 survives the loss of any one node
 * @param username basic-auth user, or null for none
 * @param password basic-auth password, or null for none
 * @param connectTimeout how long a connection to a node may take
 * @param requestTimeout how long a request may take, and how long a write waits for an unavailable shard
 */
public record OpenSearchOptions(
    List<String> hosts,
    String indexPrefix,
    int shards,
    int replicas,
    String username,
    String password,
    Duration connectTimeout,
    Duration requestTimeout) {

  private static final Pattern PREFIX = Pattern.compile("[a-z0-9][a-z0-9._-]{0,100}");

  public OpenSearchOptions {
    if (hosts == null || hosts.isEmpty()) {
      throw new IllegalArgumentException("storage.opensearch.hosts must name at least one node, as http://host:port;"
          + " hosts=" + hosts);
    }
    for (String h : hosts) {
      URI u;
      try {
        u = URI.create(h.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("storage.opensearch.hosts: not a URL; host='" + h + "'", e);
      }
      if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null
          || u.getPort() <= 0) {
        throw new IllegalArgumentException("storage.opensearch.hosts entries must be http(s)://host:port; host='" + h + "'");
      }
    }
    hosts = List.copyOf(hosts);
    if (indexPrefix == null || !PREFIX.matcher(indexPrefix).matches()) {
      throw new IllegalArgumentException("storage.opensearch.index_prefix must be lowercase letters, digits, '.', '_'"
          + " or '-', starting with a letter or digit; index_prefix=" + indexPrefix);
    }
    if (shards < 1 || shards > 1024) {
      throw new IllegalArgumentException("storage.opensearch.shards must be between 1 and 1024; shards=" + shards);
    }
    if (replicas < 0 || replicas > 16) {
      throw new IllegalArgumentException("storage.opensearch.replicas must be between 0 and 16; replicas=" + replicas);
    }
    if ((username == null) != (password == null)) {
      throw new IllegalArgumentException("storage.opensearch.username and password go together; username="
          + (username == null ? "null" : "'" + username + "'") + ", password " + (password == null ? "missing" : "set"));
    }
    for (Duration d : new Duration[] {connectTimeout, requestTimeout}) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException("storage.opensearch timeouts must be positive; got " + d);
      }
    }
  }

  /** One node on localhost, prefix {@code semcache-}, one shard and one replica, no credentials. */
  public static OpenSearchOptions defaults() {
    return new OpenSearchOptions(List.of("http://127.0.0.1:9200"), "semcache-", 1, 1, null, null,
        Duration.ofSeconds(2), Duration.ofSeconds(10));
  }

  public OpenSearchOptions withHosts(List<String> h) {
    return new OpenSearchOptions(h, indexPrefix, shards, replicas, username, password, connectTimeout, requestTimeout);
  }

  public OpenSearchOptions withIndexPrefix(String p) {
    return new OpenSearchOptions(hosts, p, shards, replicas, username, password, connectTimeout, requestTimeout);
  }

  public OpenSearchOptions withLayout(int s, int r) {
    return new OpenSearchOptions(hosts, indexPrefix, s, r, username, password, connectTimeout, requestTimeout);
  }

  public OpenSearchOptions withTimeouts(Duration connect, Duration request) {
    return new OpenSearchOptions(hosts, indexPrefix, shards, replicas, username, password, connect, request);
  }

  public OpenSearchOptions withCredentials(String user, String pass) {
    return new OpenSearchOptions(hosts, indexPrefix, shards, replicas, user, pass, connectTimeout, requestTimeout);
  }

  @Override
  public String toString() {
    return "OpenSearchOptions{hosts=" + hosts + ", index_prefix=" + indexPrefix + ", shards=" + shards + ", replicas="
        + replicas + ", auth=" + (username == null ? "none" : "basic as " + username) + "}";
  }
}
