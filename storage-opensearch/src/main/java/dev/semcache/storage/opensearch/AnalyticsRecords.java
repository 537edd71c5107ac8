package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.StorageUnavailableException;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;

/** Analytics records: one document per key in the records index, the opaque value base64-encoded. */
final class AnalyticsRecords {
  private final ClusterRequests requests;
  private final String index;

  AnalyticsRecords(ClusterRequests requests, Indices indices) {
    this.requests = requests;
    this.index = indices.records();
  }

  /**
   * Writes the records in one bulk request. Each record is written atomically and durably; a batch is
   * not a transaction across records (a cluster failing mid-batch can keep some: the call then throws).
   */
  void put(Map<String, byte[]> batch) {
    if (batch.isEmpty()) {
      return;
    }
    StringBuilder bulk = new StringBuilder();
    for (Map.Entry<String, byte[]> e : batch.entrySet()) {
      ObjectNode action = ClusterClient.JSON.createObjectNode();
      if (e.getValue() == null) {
        action.putObject("delete").put("_index", index).put("_id", e.getKey());
        bulk.append(action).append('\n');
      } else {
        action.putObject("index").put("_index", index).put("_id", e.getKey());
        ObjectNode doc = ClusterClient.JSON.createObjectNode().put("key", e.getKey())
            .put("value", Base64.getEncoder().encodeToString(e.getValue()));
        bulk.append(action).append('\n').append(doc).append('\n');
      }
    }
    ClusterClient.Reply r = requests.client().bulk(bulk.toString(), Map.of("timeout", requests.timeout()));
    ClusterRequests.requireOk(r, "write analytics records");
    for (JsonNode item : r.body().path("items")) {
      JsonNode op = item.has("index") ? item.path("index") : item.path("delete");
      int status = op.path("status").asInt(500);
      if (!(status >= 200 && status < 300) && status != 404) {
        throw new StorageUnavailableException("OpenSearch did not write analytics record " + op.path("_id").asText()
            + ": " + op.path("error"));
      }
    }
  }

  Optional<byte[]> get(String key) {
    ClusterClient.Reply r = requests.client().call("GET", "/" + index + "/_doc/" + ClusterClient.segment(key), Map.of(),
        null);
    ClusterRequests.requireFound(r, "read analytics record " + key);
    if (!r.body().path("found").asBoolean(false)) {
      return Optional.empty();
    }
    return Optional.of(Base64.getDecoder().decode(r.body().path("_source").path("value").asText()));
  }

  void forEach(String prefix, BiConsumer<String, byte[]> action) {
    // a refresh first, always: records written by this node and by others are all listed
    requests.refresh(index);
    ObjectNode query = ClusterClient.JSON.createObjectNode();
    query.putObject("prefix").put("key", prefix);
    requests.scan(index, query, "key", hit -> action.accept(hit.path("_source").path("key").asText(),
        Base64.getDecoder().decode(hit.path("_source").path("value").asText())));
  }
}
