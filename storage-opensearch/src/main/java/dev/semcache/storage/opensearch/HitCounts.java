package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Entry;
import dev.semcache.index.EntryStats;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hits recorded on this node: counted in memory, added to the figures of every entry this node reads,
 * and written every {@link OpenSearchCacheStorage#HIT_FLUSH_MS} in one bulk request of painless scripts
 * that add to the entry's <em>hits document</em> ({@code ctx._source.hit_count += n}), retried on version
 * conflicts: increments from any number of nodes add up, none overwrites another's. The hits document holds
 * no vector, so a hit never re-indexes the entry (a scripted update rewrites the whole document it
 * updates: on the entries document that was the vector, and its HNSW graph, for every batch of hits).
 *
 * <p>A sliding TTL moves the hits document's expiry the same way; the k-NN filter uses the entry's cap
 * ({@code slide_cap}), which does not move, so a renewed entry stays findable.
 */
final class HitCounts {
  private static final Logger LOG = LoggerFactory.getLogger(HitCounts.class);
  private static final String HIT_SCRIPT = """
      if (ctx._source.id != params.id) { ctx.op = 'none'; return; }
      ctx._source.hit_count += params.n;
      if (params.t > ctx._source.last_hit_at) { ctx._source.last_hit_at = params.t; }
      if (params.e > ctx._source.expires_at) { ctx._source.expires_at = params.e; }""";

  /** Hits of one entry not yet written. */
  private record Pending(long hits, long lastHitAtMillis, long expiresAtMillis) {
    Pending plus(Pending o) {
      return new Pending(hits + o.hits, Math.max(lastHitAtMillis, o.lastHitAtMillis),
          Math.max(expiresAtMillis, o.expiresAtMillis));
    }
  }

  private final ClusterRequests requests;
  private final String index;
  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final ReentrantLock flushLock = new ReentrantLock();

  HitCounts(ClusterRequests requests, Indices indices) {
    this.requests = requests;
    this.index = indices.hits();
  }

  /** Counts a hit on entry {@code id} at {@code now}, with the expiry it moves to (unchanged if fixed). */
  void record(String id, long now, long expiresAtMillis) {
    if (EntryDocuments.docIdOf(id) != null) {
      pending.merge(id, new Pending(1, now, expiresAtMillis), Pending::plus);
    }
  }

  /** The entry with this node's hits not yet written added to its figures. */
  Entry overlay(Entry e) {
    Pending p = pending.get(e.id());
    if (p == null) {
      return e;
    }
    return e.withStats(new EntryStats(Math.max(e.expiresAtMillis(), p.expiresAtMillis()), e.hitCount() + p.hits(),
        Math.max(e.lastHitAtMillis(), p.lastHitAtMillis())));
  }

  /** Drops the pending hits of a removed document (its entry ids start with the document id). */
  void forgetDoc(String docId) {
    pending.keySet().removeIf(id -> id.startsWith(docId));
  }

  int pendingCount() {
    return pending.size();
  }

  /**
   * Writes the recorded hits in one bulk request of scripted updates of the hits documents; what was
   * written leaves the pending map, what failed stays for the next flush, and the hits of an entry that
   * is gone (404) go with it.
   */
  void flush() {
    if (pending.isEmpty()) {
      return;
    }
    flushLock.lock();
    try {
      Map<String, Pending> batch = new HashMap<>(pending);
      if (batch.isEmpty()) {
        return;
      }
      StringBuilder bulk = new StringBuilder();
      List<String> keys = new ArrayList<>();
      for (Map.Entry<String, Pending> p : batch.entrySet()) {
        ObjectNode action = ClusterClient.JSON.createObjectNode();
        action.putObject("update").put("_index", index).put("_id", EntryDocuments.docIdOf(p.getKey()))
            .put("retry_on_conflict", 10);
        ObjectNode doc = ClusterClient.JSON.createObjectNode();
        ObjectNode script = doc.putObject("script");
        script.put("lang", "painless").put("source", HIT_SCRIPT);
        script.putObject("params").put("id", p.getKey()).put("n", p.getValue().hits())
            .put("t", p.getValue().lastHitAtMillis()).put("e", p.getValue().expiresAtMillis());
        bulk.append(action).append('\n').append(doc).append('\n');
        keys.add(p.getKey());
      }
      ClusterClient.Reply r = requests.client().bulk(bulk.toString(), Map.of("timeout", requests.timeout()));
      ClusterRequests.requireOk(r, "write hit counts");
      JsonNode items = r.body().path("items");
      for (int i = 0; i < keys.size(); i++) {
        JsonNode item = items.path(i).path("update");
        int status = item.path("status").asInt(500);
        if ((status >= 200 && status < 300) || status == 404) { // 404: the entry is gone, so are its hits
          Pending written = batch.get(keys.get(i));
          pending.computeIfPresent(keys.get(i), (k, now) -> now.hits() == written.hits() ? null
              : new Pending(now.hits() - written.hits(), now.lastHitAtMillis(), now.expiresAtMillis()));
        } else {
          LOG.warn("hit count of {} not written ({}); kept for the next flush", keys.get(i), item.path("error"));
        }
      }
      requests.markWritten(index);
    } finally {
      flushLock.unlock();
    }
  }
}
