package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Entry;
import dev.semcache.index.Match;
import dev.semcache.index.PromptNormalizer;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.lucene.util.VectorUtil;

/**
 * Reads of entries: by id and on the exact path a realtime multi-get of the entry's two documents (so a
 * store is visible on return, from any node), on the semantic path a {@link NearestQuery} and one
 * multi-get of the hits documents of what it found. Every entry read carries its stored hit figures and
 * this node's pending ones, and is checked against the asked namespace, scope and expiry: the index can
 * cost a hit, never serve a wrong one.
 */
final class EntryReads {
  private final ClusterRequests requests;
  private final Indices indices;
  private final StorageOptions options;
  private final InstantSource clock;
  private final HitCounts hits;

  /** An entry's two documents as the cluster has them now; {@code entry} is null if it has no entries document. */
  record Documents(String docId, JsonNode entry, JsonNode hits) {
    /** The entry, with its stored hit figures, if the entries document exists. */
    Optional<Entry> stored() {
      if (entry == null) {
        return Optional.empty();
      }
      return Optional.of(EntryDocuments.withHits(EntryDocuments.entry(entry.path("_source")),
          hits == null ? null : hits.path("_source")));
    }
  }

  EntryReads(ClusterRequests requests, Indices indices, StorageOptions options, InstantSource clock, HitCounts hits) {
    this.requests = requests;
    this.indices = indices;
    this.options = options;
    this.clock = clock;
    this.hits = hits;
  }

  /** Both documents of {@code docId}, in one realtime multi-get. */
  Documents documents(String docId) {
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    ArrayNode docs = body.putArray("docs");
    docs.addObject().put("_index", indices.entries()).put("_id", docId);
    docs.addObject().put("_index", indices.hits()).put("_id", docId);
    JsonNode answer = requests.mget("/_mget", body, "read an entry");
    JsonNode entry = answer.path(0);
    JsonNode hit = answer.path(1);
    return new Documents(docId, entry.path("found").asBoolean(false) ? entry : null,
        hit.path("found").asBoolean(false) ? hit : null);
  }

  Optional<Entry> get(String namespace, String id) {
    String docId = EntryDocuments.docIdOf(id);
    if (docId == null) {
      return Optional.empty();
    }
    long now = clock.millis();
    return documents(docId).stored().map(hits::overlay)
        .filter(e -> e.id().equals(id) && e.namespace().equals(namespace) && e.isLiveAt(now));
  }

  Optional<Entry> findExact(String namespace, Scope scope, String prompt) {
    long now = clock.millis();
    String normalized = PromptNormalizer.normalize(prompt);
    return documents(EntryDocuments.docId(namespace, scope, prompt)).stored().map(hits::overlay)
        .filter(e -> e.isLiveAt(now) && e.namespace().equals(namespace) && e.scope().equals(scope)
            && PromptNormalizer.normalize(e.prompt()).equals(normalized));
  }

  List<Match> findNearest(String namespace, Scope scope, float[] vector, int k) {
    long now = clock.millis();
    JsonNode r = requests.search(indices.entries(),
        NearestQuery.body(namespace, scope, vector, k, options.candidates(), now));
    List<Entry> found = new ArrayList<>(k);
    for (JsonNode hit : r.path("hits").path("hits")) {
      Entry e = EntryDocuments.entry(hit.path("_source"));
      if (e.namespace().equals(namespace) && e.scope().equals(scope)) {
        found.add(e);
      }
    }
    Map<String, JsonNode> figures = hitDocuments(found);
    List<Match> out = new ArrayList<>(found.size());
    for (Entry stored : found) {
      Entry e = hits.overlay(EntryDocuments.withHits(stored, figures.get(EntryDocuments.docIdOf(stored.id()))));
      if (e.isLiveAt(now)) {
        out.add(new Match(e, VectorUtil.dotProduct(vector, e.embedding())));
      }
    }
    out.sort(Comparator.comparingDouble(Match::similarity).reversed());
    return out;
  }

  /** The hits documents' sources of these entries, by document id, in one realtime multi-get. */
  private Map<String, JsonNode> hitDocuments(List<Entry> entries) {
    Map<String, JsonNode> out = new HashMap<>();
    if (entries.isEmpty()) {
      return out;
    }
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    ArrayNode ids = body.putArray("ids");
    for (Entry e : entries) {
      String docId = EntryDocuments.docIdOf(e.id());
      if (docId != null) {
        ids.add(docId);
      }
    }
    for (JsonNode d : requests.mget("/" + indices.hits() + "/_mget", body, "read hit counts")) {
      if (d.path("found").asBoolean(false)) {
        out.put(d.path("_id").asText(), d.path("_source"));
      }
    }
    return out;
  }
}
