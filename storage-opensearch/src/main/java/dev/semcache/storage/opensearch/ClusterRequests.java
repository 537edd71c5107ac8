package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.StorageUnavailableException;
import dev.semcache.index.StoreException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The requests every part of the storage makes, with the checks that turn the cluster's answers into
 * results or exceptions: searches that never accept partial results, paged scans, GETs where 404 is an
 * answer, and refreshes of the indices this node wrote to since it last refreshed them.
 */
final class ClusterRequests {
  private static final int PAGE = 1000;

  private final ClusterClient client;
  private final OpenSearchOptions os;
  /** Indices this node wrote to since its last refresh of them. */
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();

  ClusterRequests(ClusterClient client, OpenSearchOptions os) {
    this.client = client;
    this.os = os;
  }

  ClusterClient client() {
    return client;
  }

  /** The write timeout: how long a write waits for an unavailable shard. */
  String timeout() {
    return os.requestTimeout().toMillis() + "ms";
  }

  // ---------------------------------------------------------------- refresh

  void markWritten(String index) {
    dirty.add(index);
  }

  /** Makes what was written visible to searches, now. */
  void refresh(String index) {
    dirty.remove(index);
    requireOk(client.call("POST", "/" + index + "/_refresh", Map.of(), null), "refresh " + index);
  }

  /** {@link #refresh} if this node wrote to the index since it last refreshed it. */
  void refreshIfWritten(String index) {
    if (dirty.contains(index)) {
      refresh(index);
    }
  }

  // ---------------------------------------------------------------- reads

  /** A search that fails rather than answer from part of the shards. */
  JsonNode search(String index, ObjectNode body) {
    ClusterClient.Reply r = client.call("POST", "/" + index + "/_search",
        Map.of("allow_partial_search_results", "false"), body);
    requireOk(r, "search " + index);
    requireAllShards(r.body(), "search " + index);
    return r.body();
  }

  /** Every document matching {@code query}, in {@code sortField} order, a page at a time. */
  void scan(String index, ObjectNode query, String sortField, Consumer<JsonNode> action) {
    JsonNode after = null;
    while (true) {
      ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", PAGE);
      body.set("query", query);
      body.putArray("sort").addObject().put(sortField, "asc");
      if (after != null) {
        body.set("search_after", after);
      }
      JsonNode hits = search(index, body).path("hits").path("hits");
      for (JsonNode hit : hits) {
        action.accept(hit);
      }
      if (hits.size() < PAGE) {
        return;
      }
      after = hits.get(hits.size() - 1).path("sort");
    }
  }

  /** Documents matching {@code query} (null: all), as the last refresh left them. */
  long count(String index, ObjectNode query) {
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    if (query != null) {
      body.set("query", query);
    }
    ClusterClient.Reply r = client.call("POST", "/" + index + "/_count", Map.of(), body);
    requireOk(r, "count " + index);
    requireAllShards(r.body(), "count " + index);
    return r.body().path("count").asLong();
  }

  /** Deletes what matches {@code query} (after a refresh: it sees what searches see); returns how many. */
  long deleteByQuery(String index, ObjectNode query, String what) {
    refresh(index);
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    body.set("query", query);
    ClusterClient.Reply r = client.call("POST", "/" + index + "/_delete_by_query",
        Map.of("refresh", "true", "conflicts", "proceed"), body);
    requireOk(r, what);
    return r.body().path("deleted").asLong();
  }

  /**
   * The documents of a multi-get, in the order asked; a document of a missing index or shard is not an
   * answer (it throws), a missing document is ({@code found: false}).
   */
  JsonNode mget(String path, ObjectNode body, String what) {
    ClusterClient.Reply r = client.call("POST", path, Map.of(), body);
    requireOk(r, what);
    JsonNode docs = r.body().path("docs");
    for (JsonNode d : docs) {
      if (d.has("error")) {
        throw new StorageUnavailableException("OpenSearch could not " + what + ": " + ClusterClient.reason(d));
      }
    }
    return docs;
  }

  // ---------------------------------------------------------------- checks

  static void requireAllShards(JsonNode body, String what) {
    if (body.path("_shards").path("failed").asInt(0) > 0) {
      throw new StorageUnavailableException("OpenSearch could not " + what + ": " + body.path("_shards").path("failed")
          + " shards failed (" + body.path("_shards").path("failures").path(0).path("reason") + ")");
    }
  }

  static void requireOk(ClusterClient.Reply r, String what) {
    if (!r.ok()) {
      throw new StoreException("OpenSearch could not " + what + " (" + r.status() + "): " + ClusterClient.reason(r.body()));
    }
  }

  /** A GET by id: 200 or 404 (the document or the whole index is missing) are answers, the rest is not. */
  static void requireFound(ClusterClient.Reply r, String what) {
    if (!r.ok() && r.status() != 404) {
      throw new StoreException("OpenSearch could not " + what + " (" + r.status() + "): " + ClusterClient.reason(r.body()));
    }
    if (r.status() == 404 && r.body().path("error").isObject()) {
      throw new StorageUnavailableException("OpenSearch could not " + what + ": " + ClusterClient.reason(r.body()));
    }
  }

  /** The items of a bulk answer; throws naming the first item whose status is not 2xx (nor 404 if allowed). */
  static JsonNode requireItems(ClusterClient.Reply r, String what, boolean notFoundIsOk) {
    requireOk(r, what);
    JsonNode items = r.body().path("items");
    for (JsonNode item : items) {
      JsonNode op = item.elements().next();
      int status = op.path("status").asInt(500);
      if (!(status >= 200 && status < 300) && !(notFoundIsOk && status == 404)) {
        throw new StoreException("OpenSearch could not " + what + ": " + op.path("_index").asText() + "/"
            + op.path("_id").asText() + " answered " + status + " " + op.path("error"));
      }
    }
    return items;
  }
}
