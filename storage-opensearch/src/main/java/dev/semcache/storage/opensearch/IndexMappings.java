package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.StorageOptions;

/**
 * The four indices and their mappings, versioned: the version is recorded in each index's {@code _meta}
 * ({@code semcache_mapping_version}); a node refuses to start on an index written by a newer semcache, and
 * migrates the older ones it finds ({@link IndexSetup}).
 *
 * <h2>Versions</h2>
 * <ul>
 *   <li>1: an entry's hit count, last hit and sliding expiry lived in its entries document, so every
 *       batch of hits re-indexed the whole document, vector included.
 *   <li>2: they live in a document of their own in the hits index (same id as the entry's document, no
 *       vector): a hit never rewrites an entry. An entries index of version 1 is migrated on start: its hit
 *       figures are copied into the hits index ({@code _reindex}), then its version is set to 2; the
 *       other indices did not change.
 * </ul>
 */
final class IndexMappings {
  /** The mapping version this build writes and reads. */
  static final int VERSION = 2;
  /** The last version whose entries documents held the hit figures. */
  static final int VERSION_HITS_IN_ENTRIES = 1;
  static final String META_KEY = "semcache_mapping_version";
  /** The shortest refresh interval of the entries index. */
  static final long MIN_REFRESH_MS = 1000;

  private IndexMappings() {}

  /**
   * The entries: one document per cached answer, its id derived from the exact-path key (so that a
   * store replaces the earlier answer to the same prompt and an exact lookup is a realtime GET by id).
   * The vector is a Lucene-engine HNSW {@code knn_vector} with the inner product as similarity (the
   * vectors are unit length: it is the cosine); partition, namespace and expiry are keywords and longs the
   * k-NN query filters on while it searches. {@code expires_at} is the expiry at store time; a sliding
   * TTL moves the one in the entry's hits document, and the k-NN filter uses the cap ({@code slide_cap}).
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
    for (String f : new String[] {"created_at", "ttl_ms", "expires_at", "slide_cap", "size_bytes"}) {
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

  /**
   * Hit figures: one small document per entry, under the entry document's id, that the batched hit
   * counts update (scripted {@code +=}, so that the increments of every node add up): the entry id it
   * belongs to, namespace and partition (for eviction and invalidation), hit count, last hit, and the
   * expiry a sliding TTL moves.
   */
  static ObjectNode hits(OpenSearchOptions os) {
    ObjectNode props = ClusterClient.JSON.createObjectNode();
    props.set("id", keyword());
    props.set("namespace", keyword());
    props.set("partition", keyword());
    for (String f : new String[] {"hit_count", "last_hit_at", "expires_at"}) {
      props.set(f, ClusterClient.JSON.createObjectNode().put("type", "long"));
    }
    ObjectNode body = index(os.shards(), os.replicas(), props);
    ((ObjectNode) body.get("settings")).put("index.refresh_interval", MIN_REFRESH_MS + "ms");
    return body;
  }

  /** The fields of a version-1 entries document that the hits index takes over. */
  static final java.util.List<String> HIT_FIELDS = java.util.List.of("id", "namespace", "partition", "hit_count",
      "last_hit_at", "expires_at");

  /** The {@code _meta} of an entries index at this version. */
  static ObjectNode entriesMeta(int dimension) {
    ObjectNode meta = ClusterClient.JSON.createObjectNode();
    meta.put(META_KEY, VERSION).put("dimension", dimension);
    return meta;
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
}
