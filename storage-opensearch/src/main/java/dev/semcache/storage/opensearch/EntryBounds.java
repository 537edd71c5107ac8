package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.StorageOptions;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

/**
 * A namespace's {@code max_entries} and the global entry and byte bounds, cluster-wide.
 *
 * <p>Sweeps enforce them from the cluster's own counts, so they hold within a sweep interval. A store
 * checks them from the last counts plus this node's stores since, and counts exactly (then evicts) when
 * that estimate reaches a bound; stores of other nodes since the last count can overshoot a bound until
 * the next sweep.
 *
 * <p>Eviction takes the least recently hit entries (the order of the hits index: a hit moves its entry's
 * {@code last_hit_at} there). Under a namespace's own bound they are that namespace's. Under a global
 * bound the rule is the embedded storage's ({@code EntryWrites.evictForGlobalBound}), so that one
 * namespace's writes cannot empty another's: each eviction takes the writer's own entry if the writer
 * holds at least its fair share (the total over the number of namespaces), else an entry of the namespace
 * that holds the most. {@link #fairShareVictims} plays that rule over the counts to plan a batch of
 * evictions at once, with the same result as evicting one at a time.
 */
final class EntryBounds {
  private final ClusterRequests requests;
  private final Indices indices;
  private final StorageOptions options;
  private final Function<String, NamespaceConfig> configs;
  private final HitCounts hits;
  private final ReentrantLock lock = new ReentrantLock();
  private final AtomicLong evictions = new AtomicLong();
  /** The cluster's counts at the last exact count, and this node's stores since. */
  private volatile Counts counts = new Counts(Map.of(), 0, 0);
  private final Map<String, AtomicLong> storedSince = new ConcurrentHashMap<>();
  private final AtomicLong bytesSince = new AtomicLong();

  /** Entries per namespace (namespaces with none are absent), in all, and their bytes. */
  record Counts(Map<String, Long> perNamespace, long total, long bytes) {}

  EntryBounds(ClusterRequests requests, Indices indices, StorageOptions options,
      Function<String, NamespaceConfig> configs, HitCounts hits) {
    this.requests = requests;
    this.indices = indices;
    this.options = options;
    this.configs = configs;
    this.hits = hits;
  }

  long evictions() {
    return evictions.get();
  }

  Counts lastCounts() {
    return counts;
  }

  /** Counts a store of this node into the estimate. */
  void stored(String namespace, long size) {
    storedSince.computeIfAbsent(namespace, k -> new AtomicLong()).incrementAndGet();
    bytesSince.addAndGet(size);
  }

  /**
   * Evicts so that one more entry of {@code size} bytes in {@code namespace} fits every bound: from the
   * estimate when it is clearly below the bounds, from an exact count otherwise.
   */
  void makeRoom(String namespace, NamespaceConfig config, long size) {
    if (!mayBeFull(namespace, config, size)) {
      return;
    }
    lock.lock();
    try {
      hits.flush(); // eviction reads the recency order: it must hold every hit so far
      Counts c = exactCounts();
      long inNamespace = c.perNamespace().getOrDefault(namespace, 0L);
      if (inNamespace >= config.maxEntries()) {
        c = without(c, namespace, evictOldest(namespace, inNamespace - config.maxEntries() + 1));
      }
      if (c.total() >= options.maxEntries()) {
        evictFairly(namespace, c, c.total() - options.maxEntries() + 1);
      }
      if (c.bytes() + size > options.maxBytes()) { // evictions only lower the bytes: counted again if needed
        fitBytes(namespace, size);
      }
    } finally {
      lock.unlock();
    }
  }

  /** Enforces every bound from exact counts (a sweep); returns entries evicted. */
  int enforce() {
    lock.lock();
    try {
      hits.flush();
      int removed = 0;
      Counts c = exactCounts();
      for (Map.Entry<String, Long> ns : c.perNamespace().entrySet()) {
        long max = configs.apply(ns.getKey()).maxEntries();
        if (ns.getValue() > max) {
          removed += evictOldest(ns.getKey(), ns.getValue() - max);
        }
      }
      if (removed > 0) {
        c = exactCounts();
      }
      if (c.total() > options.maxEntries()) {
        removed += evictFairly(null, c, c.total() - options.maxEntries());
      }
      return removed + (c.bytes() > options.maxBytes() ? fitBytes(null, 0) : 0);
    } finally {
      lock.unlock();
    }
  }

  /** The counts after {@code evicted} entries of {@code namespace} went (their bytes still counted). */
  private static Counts without(Counts c, String namespace, long evicted) {
    Map<String, Long> per = new HashMap<>(c.perNamespace());
    per.computeIfPresent(namespace, (k, v) -> v - evicted);
    return new Counts(per, c.total() - evicted, c.bytes());
  }

  /** Evicts until the entries' bytes and {@code size} more fit the byte bound; returns entries evicted. */
  private int fitBytes(String writer, long size) {
    int removed = 0;
    for (int i = 0; i < 1000; i++) {
      Counts c = exactCounts();
      if (c.bytes() + size <= options.maxBytes() || c.total() == 0) {
        break;
      }
      long average = Math.max(1, c.bytes() / c.total());
      int evicted = evictFairly(writer, c, Math.max(1, (c.bytes() + size - options.maxBytes() + average - 1) / average));
      if (evicted == 0) {
        break;
      }
      removed += evicted;
    }
    return removed;
  }

  private boolean mayBeFull(String namespace, NamespaceConfig config, long size) {
    Counts c = counts;
    long inNamespace = c.perNamespace().getOrDefault(namespace, 0L)
        + storedSince.getOrDefault(namespace, new AtomicLong()).get();
    long total = c.total() + storedSince.values().stream().mapToLong(AtomicLong::get).sum();
    return inNamespace + 1 > config.maxEntries() || total + 1 > options.maxEntries()
        || c.bytes() + bytesSince.get() + size > options.maxBytes();
  }

  /** Counts entries per namespace, in all, and their bytes, as the cluster has them (after a refresh). */
  Counts exactCounts() {
    requests.refreshIfWritten(indices.entries());
    ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", 0).put("track_total_hits", true);
    ObjectNode aggs = body.putObject("aggs");
    aggs.putObject("ns").putObject("terms").put("field", "namespace").put("size", 100_000);
    aggs.putObject("bytes").putObject("sum").put("field", "size_bytes");
    JsonNode r = requests.search(indices.entries(), body);
    Map<String, Long> per = new HashMap<>();
    for (JsonNode b : r.path("aggregations").path("ns").path("buckets")) {
      per.put(b.path("key").asText(), b.path("doc_count").asLong());
    }
    Counts c = new Counts(Map.copyOf(per), r.path("hits").path("total").path("value").asLong(),
        (long) r.path("aggregations").path("bytes").path("value").asDouble());
    storedSince.clear();
    bytesSince.set(0);
    counts = c;
    return c;
  }

  /** Evicts {@code n} entries under a global bound, by the fair-share rule; returns entries evicted. */
  private int evictFairly(String writer, Counts c, long n) {
    int removed = 0;
    for (Map.Entry<String, Long> victim : fairShareVictims(c.perNamespace(), writer, n).entrySet()) {
      removed += evictOldest(victim.getKey(), victim.getValue());
    }
    if (removed == 0 && n > 0) {
      removed = evictOldest(null, n); // the counts were stale: any least recently hit entry
    }
    return removed;
  }

  /**
   * How many entries each namespace gives up for {@code n} evictions under a global bound, one eviction at
   * a time by the fair-share rule: the writer's own if it holds at least the total over the number of
   * namespaces (the writer counts as one even before its first entry), else the namespace holding the
   * most (the first by name among equals). A namespace within its fair share never gives up entries to
   * another's writes.
   *
   * @param writer the namespace storing, or null for a sweep
   */
  static Map<String, Long> fairShareVictims(Map<String, Long> perNamespace, String writer, long n) {
    TreeMap<String, Long> left = new TreeMap<>();
    perNamespace.forEach((ns, count) -> {
      if (count > 0) {
        left.put(ns, count);
      }
    });
    long total = left.values().stream().mapToLong(Long::longValue).sum();
    Map<String, Long> plan = new LinkedHashMap<>();
    for (long i = 0; i < n && total > 0; i++) {
      int namespaces = Math.max(1, left.size() + (writer != null && !left.containsKey(writer) ? 1 : 0));
      String victim = null;
      if (writer != null && left.getOrDefault(writer, 0L) > 0 && left.get(writer) * namespaces >= total) {
        victim = writer;
      } else {
        long most = 0;
        for (Map.Entry<String, Long> e : left.entrySet()) {
          if (e.getValue() > most) {
            most = e.getValue();
            victim = e.getKey();
          }
        }
      }
      plan.merge(victim, 1L, Long::sum);
      total--;
      if (left.merge(victim, -1L, Long::sum) == 0) {
        left.remove(victim);
      }
    }
    return plan;
  }

  /**
   * Deletes the {@code n} least recently hit entries of a namespace (or of all, if null), entries and hits
   * documents both; returns entries deleted. The order is the hits index's; entries that have no hits
   * document (a store that failed half-way) go first, oldest first.
   */
  int evictOldest(String namespace, long n) {
    if (n <= 0) {
      return 0;
    }
    requests.refreshIfWritten(indices.hits());
    JsonNode candidates = oldest(indices.hits(), "last_hit_at", namespace, n);
    if (candidates.isEmpty()) {
      candidates = oldest(indices.entries(), "created_at", namespace, n);
    }
    StringBuilder bulk = new StringBuilder();
    for (JsonNode hit : candidates) {
      String docId = hit.path("_id").asText();
      for (String index : new String[] {indices.entries(), indices.hits()}) {
        ObjectNode action = ClusterClient.JSON.createObjectNode();
        action.putObject("delete").put("_index", index).put("_id", docId);
        bulk.append(action).append('\n');
      }
    }
    if (bulk.isEmpty()) {
      return 0;
    }
    ClusterClient.Reply b = requests.client().bulk(bulk.toString(), Map.of("refresh", "true", "timeout",
        requests.timeout()));
    JsonNode items = ClusterRequests.requireItems(b, "evict entries", true);
    int deleted = 0;
    for (JsonNode item : items) {
      JsonNode d = item.path("delete");
      if (d.path("_index").asText().equals(indices.entries()) && "deleted".equals(d.path("result").asText())) {
        deleted++;
        hits.forgetDoc(d.path("_id").asText());
      }
    }
    evictions.addAndGet(deleted);
    return deleted;
  }

  /** The ids of the {@code n} documents of {@code index} first in {@code field} order, in a namespace or all. */
  private JsonNode oldest(String index, String field, String namespace, long n) {
    ObjectNode body = ClusterClient.JSON.createObjectNode().put("size", (int) Math.min(n, 10_000)).put("_source", false);
    if (namespace != null) {
      body.putObject("query").putObject("term").put("namespace", namespace);
    }
    ArrayNode sort = body.putArray("sort");
    sort.addObject().putObject(field).put("order", "asc");
    sort.addObject().putObject("id").put("order", "asc");
    return requests.search(index, body).path("hits").path("hits");
  }
}
