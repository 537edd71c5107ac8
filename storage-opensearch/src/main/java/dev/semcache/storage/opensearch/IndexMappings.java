package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.StorageOptions;
import java.util.Map;

/**
 * The three indices and their mappings, versioned: the version is recorded in each index's {@code _meta}
 * ({@code semcache_mapping_version}); a node refuses to start on an index written by a newer semcache, and
 * a later version that changes a mapping migrates the older ones it finds.
 */
final class IndexMappings {
  /** The mapping version this build writes and reads. */
  static final int VERSION = 1;
  static final String META_KEY = "semcache_mapping_version";
  /** The shortest refresh interval of the entries index. */
  static final long MIN_REFRESH_MS = 1000;

  private IndexMappings() {}

  /**
   * The entries: one document per cached answer, its id derived from the exact-path key (so that a
   * store replaces the earlier answer to the same prompt and an exact lookup is a realtime GET by id).
   * The vector is a Lucene-engine HNSW {@code knn_vector} with the inner product as similarity (the
   * vectors are unit length: it is the cosine); partition, namespace and expiry are keywords and longs the
   * k-NN query filters on while it searches.
   */
  static ObjectNode entries(StorageOptions o, OpenSearchOptions os) {
    ObjectNode props = ClusterClient.JSON.createObjectNode();
    props.set("id", keyword());
    props.set("namespace", keyword());
    props.set("partition", keyword());
    props.set("scope", ClusterClient.JSON.createObjectNode().put("type", "object").put("enabled", false));
    props.set("prompt", stored("text"));
    props.set("response", stored("text"));
    props.set("metadata", ClusterClient.JSON.createObjectNode().put("type", "object").put("enabled", false));
    for (String f : new String[] {"created_at", "ttl_ms", "expires_at", "slide_cap", "hit_count", "last_hit_at",
        "size_bytes"}) {
      props.set(f, ClusterClient.JSON.createObjectNode().put("type", "long"));
    }
    ObjectNode vector = props.putObject("embedding");
    vector.put("type", "knn_vector").put("dimension", o.dimension());
    ObjectNode method = vector.putObject("method");
    method.put("name", "hnsw").put("engine", "lucene").put("space_type", "innerproduct");
    method.putObject("parameters").put("m", o.maxConn()).put("ef_construction", o.beamWidth());
    ObjectNode body = index(os.shards(), os.replicas(), props);
    // Each refresh writes a segment whose HNSW graph is built then and searched until merged: at the embedded
    // default of 100 ms a loaded cluster spends its time on graphs of a few entries. At least a second
    // (OpenSearch's own default); exact repeats hit at once anyway (realtime GET).
    ((ObjectNode) body.get("settings")).put("index.knn", true)
        .put("index.refresh_interval", Math.max(MIN_REFRESH_MS, o.refreshInterval().toMillis()) + "ms");
    ((ObjectNode) body.get("mappings").get("_meta")).put("dimension", o.dimension());
    return body;
  }

  /** Namespace configs: one document per namespace, id = name, the config as its versioned JSON. */
  static ObjectNode configs(OpenSearchOptions os) {
    ObjectNode props = ClusterClient.JSON.createObjectNode();
    props.set("namespace", keyword());
    props.set("config", stored("text"));
    return index(1, os.replicas(), props);
  }

  /** Analytics records: one document per key, the opaque value base64-encoded. */
  static ObjectNode records(OpenSearchOptions os) {
    ObjectNode props = ClusterClient.JSON.createObjectNode();
    props.set("key", keyword());
    props.set("value", ClusterClient.JSON.createObjectNode().put("type", "binary"));
    return index(1, os.replicas(), props);
  }

  /** The mapping version an existing index records, or -1 if it records none (not a semcache index). */
  static int versionOf(JsonNode mappingAnswer) {
    for (JsonNode index : iterable(mappingAnswer)) {
      JsonNode v = index.path("mappings").path("_meta").path(META_KEY);
      return v.isInt() ? v.asInt() : -1;
    }
    return -1;
  }

  /** The vector dimension an existing entries index was created with, or -1. */
  static int dimensionOf(JsonNode mappingAnswer) {
    for (JsonNode index : iterable(mappingAnswer)) {
      JsonNode d = index.path("mappings").path("properties").path("embedding").path("dimension");
      return d.isInt() ? d.asInt() : -1;
    }
    return -1;
  }

  private static Iterable<JsonNode> iterable(JsonNode n) {
    return () -> n.elements();
  }

  private static ObjectNode index(int shards, int replicas, ObjectNode props) {
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    body.putObject("settings").put("number_of_shards", shards).put("number_of_replicas", replicas);
    ObjectNode mappings = body.putObject("mappings");
    mappings.put("dynamic", "strict");
    mappings.putObject("_meta").put(META_KEY, VERSION);
    mappings.set("properties", props);
    return body;
  }

  private static ObjectNode keyword() {
    return ClusterClient.JSON.createObjectNode().put("type", "keyword");
  }

  /** Kept in the source only: never searched, no length limit. */
  private static ObjectNode stored(String type) {
    return ClusterClient.JSON.createObjectNode().put("type", type).put("index", false);
  }

  static Map<String, String> none() {
    return Map.of();
  }
}
