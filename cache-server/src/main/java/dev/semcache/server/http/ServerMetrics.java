package dev.semcache.server.http;

import dev.semcache.index.StorageFigures;
import dev.semcache.server.audit.AuditCounts;
import dev.semcache.server.audit.AuditRecord;
import dev.semcache.server.audit.Proportion;
import dev.semcache.server.cache.LookupResult;
import dev.semcache.server.cache.LookupTimings;
import dev.semcache.server.cache.SemanticCache;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The server's Prometheus metrics (client_java 1.x), in a registry of its own. Every family is named
 * {@code semcache_*}; the JVM's come from {@code prometheus-metrics-instrumentation-jvm}. docs/metrics.md
 * lists them. Figures that the store or the embedder already count are read when scraped, not copied.
 */
final class ServerMetrics {
  private static final double[] LATENCY_BOUNDS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final Counter lookups;
  private final Counter stores;
  private final Histogram stages;
  private final Histogram similarity;
  private final Counter requests;
  private final Counter proxyAnswers;
  private final Histogram requestSeconds;
  private Histogram auditSimilarity;
  private Counter audits;
  private Counter feedback;
  final AtomicInteger inFlight = new AtomicInteger();
  /** Label children of the hot path, looked up once: {@code labelValues} allocates on every call. */
  private final java.util.Map<String, io.prometheus.metrics.core.datapoints.CounterDataPoint[]> lookupsByNamespace =
      new java.util.concurrent.ConcurrentHashMap<>();
  /**
   * The stage histogram's children (exact, embed, search, total), each resolved when first observed so
   * that a stage shows in a scrape only once a lookup ran it, as before they were held here.
   */
  private static final String[] STAGES = {"exact", "embed", "search", "total"};
  private final java.util.concurrent.atomic.AtomicReferenceArray<
      io.prometheus.metrics.core.datapoints.DistributionDataPoint> stageChildren =
      new java.util.concurrent.atomic.AtomicReferenceArray<>(STAGES.length);
  /** Per route, the request counter of each status code (index: code - 100), resolved on first use. */
  private final java.util.Map<String, java.util.concurrent.atomic.AtomicReferenceArray<
      io.prometheus.metrics.core.datapoints.CounterDataPoint>> requestChildren = new java.util.concurrent.ConcurrentHashMap<>();
  private final java.util.Map<String, io.prometheus.metrics.core.datapoints.DistributionDataPoint> routeChildren =
      new java.util.concurrent.ConcurrentHashMap<>();

  private final NamespaceLabels labels;

  ServerMetrics(Supplier<SemanticCache> cache, Supplier<? extends StorageFigures> storage, String model) {
    this(cache, storage, model, 100);
  }

  /** @param maxNamespaceLabels namespaces with a label of their own; the rest are counted as "other" */
  ServerMetrics(Supplier<SemanticCache> cache, Supplier<? extends StorageFigures> storage, String model,
      int maxNamespaceLabels) {
    this.labels = new NamespaceLabels(maxNamespaceLabels);
    JvmMetrics.builder().register(registry);
    lookups = Counter.builder().name("semcache_lookups").help("Lookups by namespace and result (exact, semantic, miss, explore)")
        .labelNames("namespace", "result").register(registry);
    stores = Counter.builder().name("semcache_stores").help("Entries stored, by namespace and by whether the"
        + " embedding of the miss was reused (lookup_id) or computed").labelNames("namespace", "embedding").register(registry);
    stages = Histogram.builder().name("semcache_lookup_stage_seconds")
        .help("Time a lookup spent in each stage: exact (exact path), embed (queue and model), search (vector"
            + " search and checks), total (whole lookup, parsing and answer excluded)")
        .labelNames("stage").classicOnly().classicUpperBounds(LATENCY_BOUNDS).register(registry);
    similarity = Histogram.builder().name("semcache_lookup_similarity")
        .help("Similarity of the nearest entry on semantic lookups: served hits and misses (exact hits excluded)")
        .labelNames("namespace", "result").classicOnly().classicLinearUpperBounds(0.5, 0.02, 26).register(registry);
    proxyAnswers = Counter.builder().name("semcache_proxy_answers").help("Proxy mode's answers by namespace and"
        + " X-Cache-Status (HIT-EXACT, HIT-SEMANTIC, MISS, BYPASS, EXPLORE)").labelNames("namespace", "status").register(registry);
    requests = Counter.builder().name("semcache_http_requests").help("HTTP requests by route and status code")
        .labelNames("route", "status").register(registry);
    requestSeconds = Histogram.builder().name("semcache_http_request_seconds")
        .help("HTTP request latency from the whole request read to the answer written, by route")
        .labelNames("route").classicOnly().classicUpperBounds(LATENCY_BOUNDS).register(registry);
    GaugeWithCallback.builder().name("semcache_http_in_flight").help("HTTP requests being worked on")
        .callback(cb -> cb.call(inFlight.get())).register(registry);
    Gauge info = Gauge.builder().name("semcache_build_info").help("The model this server embeds with")
        .labelNames("model").register(registry);
    info.labelValues(model).set(1);

    GaugeWithCallback.builder().name("semcache_entries").help("Live and not yet swept entries, by namespace")
        .labelNames("namespace").callback(cb -> {
          SemanticCache c = cache.get();
          if (c != null) {
            long other = 0;
            for (String ns : labelledNamespaces(c)) {
              cb.call(storage.get().entryCount(ns), ns);
            }
            for (String ns : c.namespaces()) {
              other += labels.labelled(ns) ? 0 : storage.get().entryCount(ns);
            }
            if (other > 0) {
              cb.call(other, NamespaceLabels.OTHER);
            }
          }
        }).register(registry);
    GaugeWithCallback.builder().name("semcache_entry_bytes").help("Bytes of stored entries, all namespaces")
        .unit(Unit.BYTES).callback(cb -> ifReady(cache, c -> cb.call(storage.get().entryBytes()))).register(registry);
    GaugeWithCallback.builder().name("semcache_index_documents").help("Entries in the vector index as of its last refresh")
        .callback(cb -> ifReady(cache, c -> cb.call(storage.get().indexedCount()))).register(registry);
    GaugeWithCallback.builder().name("semcache_index_segments")
        .help("Segments of the embedded vector index as of its last refresh (a search visits each one's graph)")
        .callback(cb -> ifReady(cache, c -> storage.get().indexSegments().ifPresent(cb::call))).register(registry);
    CounterWithCallback.builder().name("semcache_index_compactions")
        .help("Times the embedded vector index merged itself down once quiet (storage.compact_segments)")
        .callback(cb -> ifReady(cache, c -> cb.call(storage.get().indexCompactions()))).register(registry);
    CounterWithCallback.builder().name("semcache_evictions").help("Entries evicted to respect max_entries or max_bytes")
        .callback(cb -> ifReady(cache, c -> cb.call(storage.get().evictionCount()))).register(registry);
    CounterWithCallback.builder().name("semcache_expirations").help("Expired entries reclaimed by sweeps")
        .callback(cb -> ifReady(cache, c -> cb.call(storage.get().expirationCount()))).register(registry);
    GaugeWithCallback.builder().name("semcache_embed_queue_depth").help("Prompts waiting for an embedding worker")
        .callback(cb -> ifReady(cache, c -> cb.call(c.embedder().queueDepth()))).register(registry);
    GaugeWithCallback.builder().name("semcache_embed_busy_workers").help("Embedding workers running the model")
        .callback(cb -> ifReady(cache, c -> cb.call(c.embedder().busyWorkers()))).register(registry);
    CounterWithCallback.builder().name("semcache_embed_inferences")
        .help("Model runs by session: 'wide' (all cores, a lone request) or 'narrow' (one core, side by side)."
            + " Every run embeds exactly one prompt: the int8 model's vectors change when texts share a batch")
        .labelNames("session").callback(cb -> ifReady(cache, c -> {
          cb.call(c.embedder().wideRunCount(), "wide");
          cb.call(c.embedder().narrowRunCount(), "narrow");
        })).register(registry);
    CounterWithCallback.builder().name("semcache_embed_rejected").help("Prompts refused because the embedding queue was full")
        .callback(cb -> ifReady(cache, c -> cb.call(c.embedder().rejectedCount()))).register(registry);
    GaugeWithCallback.builder().name("semcache_pending_lookups").help("Misses whose embedding waits for a store")
        .callback(cb -> ifReady(cache, c -> cb.call(c.pendingLookups()))).register(registry);
    GaugeWithCallback.builder().name("semcache_held_bytes")
        .help("Heap bytes (estimated) held by the bounded in-memory tables: pending (misses' embeddings waiting"
            + " for a store, limits.pending_bytes) and remembered (lookups kept for audits and feedback,"
            + " limits.remembered_bytes)")
        .labelNames("table").callback(cb -> ifReady(cache, c -> {
          cb.call(c.pendingBytes(), "pending");
          cb.call(c.rememberedBytes(), "remembered");
        })).register(registry);
    registerAudits(cache);
  }

  /** Audit, feedback and false-hit-rate families: read from the durable analytics when scraped. */
  private void registerAudits(Supplier<SemanticCache> cache) {
    audits = Counter.builder().name("semcache_audits")
        .help("Audit verdicts recorded since this process started, by namespace, kind (hit: a served semantic hit;"
            + " near_miss: the nearest entry of a miss) and verdict")
        .labelNames("namespace", "kind", "verdict").register(registry);
    feedback = Counter.builder().name("semcache_feedback")
        .help("Feedback on served hits recorded since this process started, by namespace and verdict (not part of"
            + " the false-hit-rate estimate)")
        .labelNames("namespace", "verdict").register(registry);
    CounterWithCallback.builder().name("semcache_audit_samples")
        .help("Lookups whose answer asked for an audit (semantic hits and near misses), by namespace")
        .labelNames("namespace").callback(cb -> ifReady(cache, c -> {
          long other = 0;
          for (String ns : c.namespaces()) {
            if (labels.labelled(ns)) {
              cb.call(c.analytics().stats(ns).sampled(), ns); // this process's own: Prometheus adds up the nodes
            } else {
              other += c.analytics().stats(ns).sampled();
            }
          }
          if (other > 0) {
            cb.call(other, NamespaceLabels.OTHER);
          }
        })).register(registry);
    GaugeWithCallback.builder().name("semcache_false_hit_rate")
        .help("Audited false-hit rate of semantic hits at the namespace's threshold: the estimate and its 95%"
            + " Clopper-Pearson bounds (absent until a hit is audited)")
        .labelNames("namespace", "bound").callback(cb -> ifReady(cache, c -> {
          for (String ns : labelledNamespaces(c)) {
            Proportion p = c.analytics().counts(ns).falseHitRate(c.namespaceConfig(ns).threshold());
            if (p.known()) {
              cb.call(p.estimate(), ns, "estimate");
              cb.call(p.lower(), ns, "lower");
              cb.call(p.upper(), ns, "upper");
            }
          }
        })).register(registry);
    GaugeWithCallback.builder().name("semcache_target_false_hit_rate")
        .help("The false-hit rate the namespace accepts (target_false_hit_rate), for the recommended threshold")
        .labelNames("namespace").callback(cb -> ifReady(cache, c -> {
          for (String ns : labelledNamespaces(c)) {
            cb.call(c.namespaceConfig(ns).targetFalseHitRate(), ns);
          }
        })).register(registry);
    GaugeWithCallback.builder().name("semcache_threshold").help("The namespace's similarity threshold")
        .labelNames("namespace").callback(cb -> ifReady(cache, c -> {
          for (String ns : labelledNamespaces(c)) {
            cb.call(c.namespaceConfig(ns).threshold(), ns);
          }
        })).register(registry);
    GaugeWithCallback.builder().name("semcache_recommended_threshold")
        .help("The lowest threshold whose audited false-hit rate stays under the namespace's target with 95%"
            + " confidence (absent while none qualifies)")
        .labelNames("namespace").callback(cb -> ifReady(cache, c -> {
          for (String ns : labelledNamespaces(c)) {
            double r = c.analytics().analysis(ns, c.namespaceConfig(ns)).recommended();
            if (!Double.isNaN(r)) {
              cb.call(r, ns);
            }
          }
        })).register(registry);
    auditSimilarity = Histogram.builder().name("semcache_audit_similarity")
        .help("Similarity of audited lookups by namespace and verdict, as they are judged")
        .labelNames("namespace", "verdict").classicOnly().classicLinearUpperBounds(0.5, 0.02, 26).register(registry);
  }

  void audit(AuditRecord r) {
    String ns = labels.of(r.namespace());
    if (r.isFeedback()) {
      feedback.labelValues(ns, r.verdict()).inc();
    } else {
      audits.labelValues(ns, r.kind(), r.verdict()).inc();
      auditSimilarity.labelValues(ns, r.verdict()).observe(r.similarity());
    }
  }

  /** The namespaces with a label of their own, in the cache's order (the set is seeded on first use). */
  private java.util.List<String> labelledNamespaces(SemanticCache c) {
    labels.seed(c);
    return c.namespaces().stream().filter(labels::labelled).toList();
  }

  private static void ifReady(Supplier<SemanticCache> cache, java.util.function.Consumer<SemanticCache> action) {
    SemanticCache c = cache.get();
    if (c != null) {
      action.accept(c);
    }
  }

  void lookup(String namespace, LookupResult r, long totalNanos) {
    lookupsByNamespace.computeIfAbsent(labels.of(namespace), ns -> new io.prometheus.metrics.core.datapoints.CounterDataPoint[] {
        lookups.labelValues(ns, "exact"), lookups.labelValues(ns, "semantic"), lookups.labelValues(ns, "miss"),
        lookups.labelValues(ns, "explore")})
        [r.kind().ordinal()].inc();
    LookupTimings t = r.timings();
    observe(0, t.exactNanos());
    observe(1, t.embedNanos());
    observe(2, t.searchNanos());
    observe(3, totalNanos);
    if (r.kind() != LookupResult.Kind.EXACT && !Float.isNaN(r.similarity())) {
      similarity.labelValues(labels.of(namespace), r.hit() ? "hit" : "miss").observe(r.similarity());
    }
  }

  private void observe(int stage, long nanos) {
    if (nanos >= 0) {
      var child = stageChildren.get(stage);
      if (child == null) {
        child = stages.labelValues(STAGES[stage]); // the same child on every call: a race is harmless
        stageChildren.set(stage, child);
      }
      child.observe(nanos / 1e9);
    }
  }

  void store(String namespace, boolean reused) {
    stores.labelValues(labels.of(namespace), reused ? "reused" : "computed").inc();
  }

  /** Counts a proxied answer by its X-Cache-Status. */
  void proxyAnswer(String namespace, String status) {
    proxyAnswers.labelValues(labels.of(namespace), status).inc();
  }

  /** Counts an answer; {@code nanos} is negative for answers to requests that never arrived whole. */
  void request(String route, int status, long nanos) {
    var byStatus = requestChildren.computeIfAbsent(route, r -> new java.util.concurrent.atomic.AtomicReferenceArray<>(500));
    int slot = status - 100;
    if (slot < 0 || slot >= byStatus.length()) {
      requests.labelValues(route, Integer.toString(status)).inc();
    } else {
      var counter = byStatus.get(slot);
      if (counter == null) {
        counter = requests.labelValues(route, Integer.toString(status));
        byStatus.set(slot, counter);
      }
      counter.inc();
    }
    if (nanos >= 0) {
      routeChildren.computeIfAbsent(route, requestSeconds::labelValues).observe(nanos / 1e9);
    }
  }

  String contentType() {
    return writer.getContentType();
  }

  byte[] scrape() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
    try {
      writer.write(out, registry.scrape(), io.prometheus.metrics.config.EscapingScheme.UNDERSCORE_ESCAPING);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write metrics", e);
    }
    return out.toByteArray();
  }
}
