package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Entry;
import dev.semcache.index.Keys;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Namespaces;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import dev.semcache.index.UnitVectors;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes of entries: stores (an entries document and a hits document, in one bulk request; a store
 * replaces the earlier answer to the same prompt, since the document id follows from the exact-path
 * key), deletes, invalidation by scope, imports, the sweep of expired entries, and the filter expiry a
 * namespace's TTL settings decide. Bounds are {@link EntryBounds}'.
 */
final class EntryWrites {
  private static final Logger LOG = LoggerFactory.getLogger(EntryWrites.class);
  private static final String SLIDE_CAP_SCRIPT = """
      ctx._source.slide_cap = params.sliding ? ctx._source.created_at + params.cap : 0L;""";

  private final ClusterRequests requests;
  private final Indices indices;
  private final StorageOptions options;
  private final InstantSource clock;
  private final Function<String, NamespaceConfig> configs;
  private final EntryReads reads;
  private final HitCounts hits;
  private final EntryBounds bounds;
  private final AtomicLong expirations = new AtomicLong();

  EntryWrites(ClusterRequests requests, Indices indices, StorageOptions options, InstantSource clock,
      Function<String, NamespaceConfig> configs, EntryReads reads, HitCounts hits, EntryBounds bounds) {
    this.requests = requests;
    this.indices = indices;
    this.options = options;
    this.clock = clock;
    this.configs = configs;
    this.reads = reads;
    this.hits = hits;
    this.bounds = bounds;
  }

  long expirations() {
    return expirations.get();
  }

  Entry store(String namespace, Scope scope, String prompt, String response, float[] embedding, Long ttlSeconds,
      Map<String, String> metadata) {
    Namespaces.requireValid(namespace);
    UnitVectors.require(embedding, options.dimension());
    NamespaceConfig config = configs.apply(namespace);
    long ttl = config.ttlMillisFor(ttlSeconds);
    long now = clock.millis();
    String docId = EntryDocuments.docId(namespace, scope, prompt);
    Entry entry = new Entry(EntryDocuments.newId(docId), namespace, scope, prompt, response, embedding.clone(), now, ttl,
        now + ttl, 0, now, metadata);
    long size = EntryDocuments.sizeOf(entry);
    bounds.makeRoom(namespace, config, size);
    StringBuilder bulk = new StringBuilder();
    appendIndex(bulk, indices.entries(), docId, EntryDocuments.entryDoc(entry, config));
    appendIndex(bulk, indices.hits(), docId, EntryDocuments.hitDoc(entry));
    ClusterClient.Reply r = requests.client().bulk(bulk.toString(), Map.of("timeout", requests.timeout()));
    ClusterRequests.requireItems(r, "store an entry of namespace " + namespace, false);
    requests.markWritten(indices.entries());
    requests.markWritten(indices.hits());
    bounds.stored(namespace, size);
    return entry;
  }

  boolean delete(String namespace, String id) {
    String docId = EntryDocuments.docIdOf(id);
    if (docId == null) {
      return false;
    }
    EntryReads.Documents docs = reads.documents(docId);
    if (docs.entry() == null) {
      return false;
    }
    JsonNode src = docs.entry().path("_source");
    if (!src.path("id").asText().equals(id) || !src.path("namespace").asText().equals(namespace)) {
      return false;
    }
    if (!deleteIfUnchanged(indices.entries(), docs.entry(), "delete entry " + id)) {
      return false; // deleted or replaced meanwhile, by this node or another
    }
    if (docs.hits() != null && docs.hits().path("_source").path("id").asText().equals(id)) {
      deleteIfUnchanged(indices.hits(), docs.hits(), "delete the hit counts of entry " + id);
    }
    requests.markWritten(indices.entries());
    requests.markWritten(indices.hits());
    hits.forgetDoc(docId);
    return true;
  }

  /** Deletes a document read as {@code doc} unless it changed since; false if it did (or is gone). */
  private boolean deleteIfUnchanged(String index, JsonNode doc, String what) {
    ClusterClient.Reply d = requests.client().call("DELETE", "/" + index + "/_doc/" + doc.path("_id").asText(), Map.of(
        "if_seq_no", doc.path("_seq_no").asText(), "if_primary_term", doc.path("_primary_term").asText(),
        "timeout", requests.timeout()), null);
    if (d.status() == 404 || d.status() == 409) {
      return false;
    }
    ClusterRequests.requireOk(d, what);
    return true;
  }

  int invalidate(String namespace, Scope scope) {
    ObjectNode query = ClusterClient.JSON.createObjectNode();
    query.putObject("term").put("partition", Keys.partition(namespace, scope));
    long removed = requests.deleteByQuery(indices.entries(), query, "invalidate a scope of namespace " + namespace);
    requests.deleteByQuery(indices.hits(), query, "invalidate the hit counts of a scope of namespace " + namespace);
    return (int) removed;
  }

  /**
   * Writes entries taken from another storage (a migration), with their stored embeddings and figures
   * (creation, expiry, hits) as they are, in one bulk request. Each gets a new id in this storage's form
   * (its document id follows from its exact-path key); an entry stored under the same prompt is replaced.
   * Bounds are not enforced here: the next sweep does.
   *
   * @return entries written
   */
  int importEntries(List<Entry> batch) {
    if (batch.isEmpty()) {
      return 0;
    }
    StringBuilder bulk = new StringBuilder();
    for (Entry e : batch) {
      UnitVectors.require(e.embedding(), options.dimension());
      String docId = EntryDocuments.docId(e.namespace(), e.scope(), e.prompt());
      Entry renamed = new Entry(EntryDocuments.newId(docId), e.namespace(), e.scope(), e.prompt(), e.response(),
          e.embedding(), e.createdAtMillis(), e.ttlMillis(), e.expiresAtMillis(), e.hitCount(), e.lastHitAtMillis(),
          e.metadata());
      appendIndex(bulk, indices.entries(), docId, EntryDocuments.entryDoc(renamed, configs.apply(e.namespace())));
      appendIndex(bulk, indices.hits(), docId, EntryDocuments.hitDoc(renamed));
    }
    ClusterClient.Reply r = requests.client().bulk(bulk.toString(), Map.of("timeout", requests.timeout()));
    JsonNode items = ClusterRequests.requireItems(r, "import entries", false);
    requests.markWritten(indices.entries());
    requests.markWritten(indices.hits());
    return items.size() / 2;
  }

  private static void appendIndex(StringBuilder bulk, String index, String docId, ObjectNode doc) {
    ObjectNode action = ClusterClient.JSON.createObjectNode();
    action.putObject("index").put("_index", index).put("_id", docId);
    bulk.append(action).append('\n').append(doc).append('\n');
  }

  /**
   * Deletes the expired entries; returns how many. An entry's expiry is in its hits document (a sliding
   * TTL moves it there): the expired hits documents name the entries to delete, a page at a time. Entries
   * past their stored expiry and their cap are expired whatever their hits say, which also covers an
   * entry whose hits document is missing.
   */
  int sweepExpired() {
    hits.flush(); // a pending sliding-TTL extension must reach the stored expiry before it is compared
    requests.refreshIfWritten(indices.hits());
    long now = clock.millis();
    ObjectNode expiredHits = ClusterClient.JSON.createObjectNode();
    expiredHits.putObject("range").putObject("expires_at").put("lte", now);
    List<String> ids = new ArrayList<>();
    long removed = 0;
    List<List<String>> pages = new ArrayList<>();
    requests.scan(indices.hits(), expiredHits, "id", hit -> {
      ids.add(hit.path("_source").path("id").asText());
      if (ids.size() == 1000) {
        pages.add(List.copyOf(ids));
        ids.clear();
      }
    });
    if (!ids.isEmpty()) {
      pages.add(List.copyOf(ids));
    }
    for (List<String> page : pages) {
      ObjectNode byId = ClusterClient.JSON.createObjectNode();
      ArrayNode terms = byId.putObject("terms").putArray("id");
      page.forEach(terms::add);
      removed += requests.deleteByQuery(indices.entries(), byId, "delete expired entries");
    }
    ObjectNode pastCap = ClusterClient.JSON.createObjectNode();
    ArrayNode both = pastCap.putObject("bool").putArray("filter");
    both.addObject().putObject("range").putObject("expires_at").put("lte", now);
    both.addObject().putObject("range").putObject("slide_cap").put("lte", now);
    removed += requests.deleteByQuery(indices.entries(), pastCap, "delete expired entries");
    requests.deleteByQuery(indices.hits(), expiredHits, "delete the hit counts of expired entries");
    expirations.addAndGet(removed);
    return (int) removed;
  }

  /** The k-NN filter's expiry of a namespace's entries depends on its TTL settings: brings it up to date. */
  void updateSlideCaps(String namespace, NamespaceConfig c) {
    requests.refreshIfWritten(indices.entries());
    ObjectNode body = ClusterClient.JSON.createObjectNode();
    body.putObject("query").putObject("term").put("namespace", namespace);
    ObjectNode script = body.putObject("script");
    script.put("lang", "painless").put("source", SLIDE_CAP_SCRIPT);
    script.putObject("params").put("sliding", c.slidingTtl()).put("cap", c.maxTtlSeconds() * 1000);
    ClusterClient.Reply r = requests.client().call("POST", "/" + indices.entries() + "/_update_by_query",
        Map.of("refresh", "true", "conflicts", "proceed"), body);
    ClusterRequests.requireOk(r, "update the expiry filter of namespace " + namespace);
    LOG.info("namespace {}: TTL settings changed; expiry filter of {} entries updated", namespace,
        r.body().path("updated").asLong());
  }
}
