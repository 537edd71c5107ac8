package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Keys;
import dev.semcache.index.Scope;

/**
 * The k-NN search of the semantic path: one {@code knn} query on the entries' vectors whose filter (the
 * partition, and live entries only) runs inside the HNSW search (efficient filtering, not
 * post-filtering), gathering {@code max(k, candidates)} neighbours as the embedded index does.
 *
 * <p>An entry is live for the filter while its stored expiry or its sliding-TTL cap is in the future: a
 * sliding TTL moves the expiry in the hits document, which the filter cannot see, and the cap bounds it.
 * The storage checks the exact expiry of what the search returns.
 */
final class NearestQuery {
  private NearestQuery() {}

  static ObjectNode body(String namespace, Scope scope, float[] vector, int k, int candidates, long now) {
    ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", k);
    ObjectNode knn = body.putObject("query").putObject("knn").putObject("embedding");
    ArrayNode v = knn.putArray("vector");
    for (float x : vector) {
      v.add(x);
    }
    knn.put("k", Math.max(k, candidates));
    ArrayNode filters = knn.putObject("filter").putObject("bool").putArray("filter");
    filters.addObject().putObject("term").put("partition", Keys.partition(namespace, scope));
    ObjectNode live = filters.addObject().putObject("bool");
    live.put("minimum_should_match", 1);
    ArrayNode should = live.putArray("should");
    should.addObject().putObject("range").putObject("expires_at").put("gt", now);
    should.addObject().putObject("range").putObject("slide_cap").put("gt", now);
    return body;
  }
}
