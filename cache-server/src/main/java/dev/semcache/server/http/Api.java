package dev.semcache.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.embedding.EmbedderOverloadedException;
import dev.semcache.index.Entry;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Namespaces;
import dev.semcache.index.Scope;
import dev.semcache.server.cache.CacheRequestException;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import dev.semcache.server.audit.AuditCounts;
import dev.semcache.server.audit.AuditRecord;
import dev.semcache.server.audit.NamespaceStats;
import dev.semcache.server.audit.Proportion;
import dev.semcache.server.audit.SimilarityHistogram;
import dev.semcache.server.audit.ThresholdCurve;
import dev.semcache.server.audit.Verdict;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.cache.StoreRequest;
import dev.semcache.server.config.Role;
import dev.semcache.server.http.ApiKeys.Principal;
import dev.semcache.server.quota.ConcurrencyLimits;
import dev.semcache.server.quota.RateLimits;
import io.netty.handler.codec.http.HttpHeaderNames;
import dev.semcache.index.StorageUnavailableException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.regex.Pattern;

/**
 * The v1 API over {@link SemanticCache}: authenticates, reads the JSON body, calls the cache and writes
 * the answer. docs/api.md and docs/openapi.yaml describe every call. Runs on a worker thread, never on
 * an event loop.
 */
final class Api {
  /** Scope and metadata bounds: they are stored with every entry and hashed into every key. */
  static final int MAX_ATTRIBUTES = 32;
  static final int MAX_ATTRIBUTE_KEY_CHARS = 128;
  static final int MAX_ATTRIBUTE_VALUE_CHARS = 1024;
  /** Entries an invalidation by similarity removes at most. */
  static final int MAX_INVALIDATE_SIMILAR = 1000;
  private static final Pattern ENTRY_ID = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern LOOKUP_ID = Pattern.compile("l[0-9a-f]{32}");

  private static final Set<String> STORE_FIELDS = Set.of("namespace", "prompt", "response", "scope", "ttl_s",
      "metadata", "lookup_id", "model_status");
  private static final Set<String> INVALIDATE_FIELDS = Set.of("namespace", "scope", "prompt", "min_similarity");
  private static final Set<String> NAMESPACE_FIELDS = Set.of("threshold", "ttl_s", "max_ttl_s", "max_entries",
      "sliding_ttl", "audit_rate", "target_false_hit_rate", "prompt_overflow", "answer_threshold", "near_miss_audit_band",
      "fingerprint_window", "cache_nondeterministic", "cache_non_text", "decision", "max_false_hit_rate",
      "max_prompt_bytes", "rate_limit_per_s", "rate_burst", "max_concurrent_embeddings", "second_stage_judge");
  private static final Set<String> AUDIT_FIELDS = Set.of("namespace", "fresh_response", "verdict", "invalidate");
  private static final Set<String> FEEDBACK_FIELDS = Set.of("namespace", "lookup_id", "verdict", "invalidate");
  /** Minutes of hit-rate history in a stats answer. */
  static final int SERIES_MINUTES = 360;

  private final SemanticCache cache;
  private final ApiKeys keys;
  private final ServerMetrics metrics;
  private final Instant startedAt;
  private final RateLimits rates;
  private final ConcurrencyLimits embeddings = new ConcurrencyLimits();

  Api(SemanticCache cache, ApiKeys keys, ServerMetrics metrics) {
    this.rates = new RateLimits(cache.clock());
    this.cache = cache;
    this.keys = keys;
    this.metrics = metrics;
    this.startedAt = cache.clock().instant();
  }

  CompletableFuture<ApiResponse> handle(HttpCall call, Route.Match match) {
    Principal who = keys.authenticate(call.header(HttpHeaderNames.AUTHORIZATION));
    return switch (match.route()) {
      case LOOKUP -> lookup(prepareLookup(who, call));
      case STORE -> store(who, jsonBody(call));
      case ENTRY_GET -> done(getEntry(who, match));
      case ENTRY_DELETE -> done(deleteEntry(who, match));
      case INVALIDATE -> invalidate(who, jsonBody(call));
      case NAMESPACES -> done(listNamespaces(who));
      case NAMESPACE_GET -> done(getNamespace(who, match.param()));
      case NAMESPACE_PUT -> done(putNamespace(who, match.param(), jsonBody(call)));
      case STATS -> done(stats(who, match.param()));
      case ANALYSIS -> done(analysis(who, match.param()));
      case AUDITS -> done(audits(who, match));
      case AUDIT -> audit(who, match.param(), jsonBody(call));
      case FEEDBACK -> done(feedback(who, jsonBody(call)));
      default -> throw new IllegalStateException("route " + match.route() + " is not an API call");
    };
  }

  // ------------------------------------------------------------------ lookup and store

  /** A lookup read and authorised, ready to run. */
  record PreparedLookup(LookupRequest request, long startNanos, long exactAbsentNanos, Principal who,
      boolean namespaceAdmitted) {
    PreparedLookup withExactAbsent(long nanos) {
      return new PreparedLookup(request, startNanos, nanos, who, namespaceAdmitted);
    }
  }

  private PreparedLookup prepareLookup(Principal who, HttpCall call) {
    LookupRequest read = LookupCodec.read(jsonBytes(call), ns -> ApiKeys.authorize(who, ns, Role.READ));
    ApiKeys.authorizeScope(who, read.scope());
    String ns = read.namespace();
    // On an event loop only a config held in memory is read; otherwise the worker admits the namespace.
    var config = cache.cachedNamespaceConfig(ns);
    admit(who, ns, config.orElse(null));
    return new PreparedLookup(new LookupRequest(ns, read.prompt(), read.scope(), read.threshold(),
        who.role().includes(Role.WRITE)), System.nanoTime(), -1, who, config.isPresent());
  }

  /**
   * The part of a lookup that may run on an event loop: authentication, parsing, and the exact path from
   * memory ({@link SemanticCache#lookupWithoutIo}). Returns the answer of an exact hit, or the prepared
   * lookup that a worker finishes with {@link #lookup(PreparedLookup)}. No disk I/O, no embedding.
   */
  Object lookupOnEventLoop(HttpCall call) {
    Principal who = keys.authenticate(call.header(HttpHeaderNames.AUTHORIZATION));
    PreparedLookup p = prepareLookup(who, call);
    SemanticCache.MemoryLookup m = cache.lookupWithoutIo(p.request()); // refusals: Dispatcher maps them
    return m.hit().isPresent() ? lookupAnswer(p, m.hit().get()) : p.withExactAbsent(m.exactAbsentNanos());
  }

  CompletableFuture<ApiResponse> lookup(PreparedLookup p) {
    String ns = p.request().namespace();
    NamespaceConfig config = configOrDefaults(ns);
    if (!p.namespaceAdmitted()) {
      admitNamespace(ns, config);
    }
    return embedding(p.who(), ns, config, () -> cache.lookup(p.request(), p.exactAbsentNanos()))
        .thenApply(r -> lookupAnswer(p, r));
  }

  // ------------------------------------------------------------------ quotas

  /** Takes one request from the key's and the namespace's rate limits ({@code config} null: not known yet). */
  private void admit(Principal who, String ns, NamespaceConfig config) {
    long wait = rates.tryAcquire("key:" + who.name(), who.ratePerS(), who.rateBurst());
    if (wait > 0) {
      throw rateLimited("key '" + who.name() + "' is over its rate limit (" + who.ratePerS() + " requests/s)", wait);
    }
    if (config != null) {
      admitNamespace(ns, config);
    }
  }

  private void admitNamespace(String ns, NamespaceConfig config) {
    long wait = rates.tryAcquire("ns:" + ns, config.rateLimitPerS(), config.rateBurst());
    if (wait > 0) {
      throw rateLimited("namespace '" + ns + "' is over its rate_limit_per_s (" + config.rateLimitPerS()
          + " requests/s)", wait);
    }
  }

  private static ApiException rateLimited(String why, long waitNanos) {
    long s = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
    return new ApiException(HttpResponseStatus.TOO_MANY_REQUESTS, "rate_limited", why + "; retry after " + s + " s",
        Map.of("Retry-After", Long.toString(s)));
  }

  /** The namespace's config, or the defaults a first store would give it. */
  private NamespaceConfig configOrDefaults(String ns) {
    return cache.namespaceExists(ns) ? cache.namespaceConfig(ns) : cache.namespaceDefaults();
  }

  /**
   * Runs a call that may embed within the key's and the namespace's {@code max_concurrent_embeddings};
   * one more is answered 429 at once.
   */
  private <T> CompletableFuture<T> embedding(Principal who, String ns, NamespaceConfig config,
      java.util.function.Supplier<CompletableFuture<T>> call) {
    String key = "key:" + who.name();
    String space = "ns:" + ns;
    if (!embeddings.tryAcquire(key, who.maxEmbeddings())) {
      throw tooManyEmbeddings("key '" + who.name() + "' has " + who.maxEmbeddings()
          + " requests that may embed in progress, its max_concurrent_embeddings");
    }
    if (!embeddings.tryAcquire(space, config.maxConcurrentEmbeddings())) {
      embeddings.release(key);
      throw tooManyEmbeddings("namespace '" + ns + "' has " + config.maxConcurrentEmbeddings()
          + " requests that may embed in progress, its max_concurrent_embeddings");
    }
    CompletableFuture<T> f = guard(call);
    return f.whenComplete((r, t) -> {
      embeddings.release(space);
      embeddings.release(key);
    });
  }

  private static ApiException tooManyEmbeddings(String why) {
    return new ApiException(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_embeddings", why + "; retry after 1 s",
        Map.of("Retry-After", "1"));
  }

  private ApiResponse lookupAnswer(PreparedLookup p, LookupResult r) {
    metrics.lookup(p.request().namespace(), r, System.nanoTime() - p.startNanos());
    return new ApiResponse(HttpResponseStatus.OK, ApiResponse.JSON, LookupCodec.write(r, cache.clock().millis()),
        switch (r.kind()) {
          case EXACT -> EXACT_HEADERS;
          case SEMANTIC -> SEMANTIC_HEADERS;
          case MISS -> MISS_HEADERS;
          case EXPLORE -> EXPLORE_HEADERS;
        });
  }

  private static final Map<String, String> EXACT_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.EXACT.header);
  private static final Map<String, String> SEMANTIC_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.SEMANTIC.header);
  private static final Map<String, String> MISS_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.MISS.header);
  private static final Map<String, String> EXPLORE_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.EXPLORE.header);

  private CompletableFuture<ApiResponse> store(Principal who, JsonBody body) {
    body.only(STORE_FIELDS);
    String ns = namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    String prompt = body.requiredString("prompt");
    String response = body.requiredString("response");
    Scope scope = scope(body);
    ApiKeys.authorizeScope(who, scope);
    Long ttl = body.optionalLong("ttl_s").orElse(null);
    Map<String, String> metadata = body.optionalStringMap("metadata", MAX_ATTRIBUTES, MAX_ATTRIBUTE_KEY_CHARS,
        MAX_ATTRIBUTE_VALUE_CHARS);
    String lookupId = body.optionalString("lookup_id").map(Api::lookupId).orElse(null);
    NamespaceConfig quotaConfig = configOrDefaults(ns);
    admit(who, ns, quotaConfig);
    Integer modelStatus = body.optionalLong("model_status").map(s -> {
      if (s < 100 || s > 599) {
        throw ApiException.invalid("'model_status' must be an HTTP status code (100 to 599); model_status=" + s);
      }
      return s.intValue();
    }).orElse(null);
    return embedding(who, ns, quotaConfig,
        () -> cache.store(new StoreRequest(ns, prompt, response, scope, ttl, metadata, lookupId, modelStatus)))
        .thenApply(stored -> {
          metrics.store(ns, stored.embeddingReused());
          Entry e = stored.entry();
          WriteLog.stored(who, ns, e.id(), scope);
          ObjectNode out = JsonBody.MAPPER.createObjectNode();
          out.put("entry_id", e.id());
          out.put("namespace", ns);
          out.put("created_at", Instant.ofEpochMilli(e.createdAtMillis()).toString());
          out.put("expires_at", Instant.ofEpochMilli(e.expiresAtMillis()).toString());
          out.put("embedding", stored.embeddingReused() ? "reused" : "computed");
          return json(HttpResponseStatus.CREATED, out).withHeader("Location", "/v1/entries/" + e.id() + "?namespace=" + ns);
        });
  }

  // ------------------------------------------------------------------ entries

  private ApiResponse getEntry(Principal who, Route.Match m) {
    String id = entryId(m.param());
    String ns = namespace(requiredQuery(m, "namespace"));
    ApiKeys.authorize(who, ns, Role.READ);
    Entry e = cache.get(ns, id).filter(found -> who.mayUse(found.scope())).orElseThrow(() -> notFoundEntry(ns, id));
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("entry_id", e.id());
    out.put("namespace", e.namespace());
    out.set("scope", JsonBody.MAPPER.valueToTree(e.scope().attributes()));
    out.put("prompt", e.prompt());
    out.put("response", e.response());
    out.set("metadata", JsonBody.MAPPER.valueToTree(e.metadata()));
    out.put("created_at", Instant.ofEpochMilli(e.createdAtMillis()).toString());
    out.put("expires_at", Instant.ofEpochMilli(e.expiresAtMillis()).toString());
    out.put("hit_count", e.hitCount());
    if (e.hitCount() > 0) {
      out.put("last_hit_at", Instant.ofEpochMilli(e.lastHitAtMillis()).toString());
    }
    return json(HttpResponseStatus.OK, out);
  }

  private ApiResponse deleteEntry(Principal who, Route.Match m) {
    String id = entryId(m.param());
    String ns = namespace(requiredQuery(m, "namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    if (who.pinned() && cache.get(ns, id).filter(found -> who.mayUse(found.scope())).isEmpty()) {
      throw notFoundEntry(ns, id); // another scope's entry is not there for this key
    }
    if (!cache.delete(ns, id)) {
      throw notFoundEntry(ns, id);
    }
    WriteLog.deleted(who, ns, id);
    return ApiResponse.noContent();
  }

  private CompletableFuture<ApiResponse> invalidate(Principal who, JsonBody body) {
    body.only(INVALIDATE_FIELDS);
    String ns = namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    Scope scope = scope(body);
    ApiKeys.authorizeScope(who, scope);
    var prompt = body.optionalString("prompt");
    var min = body.optionalNumber("min_similarity");
    if (prompt.isPresent() != min.isPresent()) {
      throw ApiException.invalid("'prompt' and 'min_similarity' go together: give both to remove entries similar to"
          + " a prompt, or neither to remove every entry of the scope");
    }
    if (prompt.isEmpty() && !body.node().has("scope")) {
      throw ApiException.invalid("'scope' is required to remove every entry of a scope (use {} for the empty scope),"
          + " or give 'prompt' and 'min_similarity'");
    }
    NamespaceConfig quotaConfig = configOrDefaults(ns);
    admit(who, ns, quotaConfig);
    CompletableFuture<Integer> removed = prompt.isPresent()
        ? embedding(who, ns, quotaConfig,
            () -> cache.invalidateSimilar(ns, scope, prompt.get(), min.get(), MAX_INVALIDATE_SIMILAR))
        : guard(() -> CompletableFuture.completedFuture(cache.invalidate(ns, scope)));
    return removed.thenApply(n -> {
      WriteLog.invalidated(who, ns, scope, prompt.isPresent(), n);
      return json(HttpResponseStatus.OK, JsonBody.MAPPER.createObjectNode().put("removed", n));
    });
  }

  // ------------------------------------------------------------------ namespaces

  private ApiResponse listNamespaces(Principal who) {
    ApiKeys.authorize(who, null, who.role() == Role.METRICS ? Role.METRICS : Role.READ);
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    var list = out.putArray("namespaces");
    for (String ns : cache.namespaces()) {
      if (who.mayUse(ns)) {
        list.add(ns);
      }
    }
    return json(HttpResponseStatus.OK, out);
  }

  private ApiResponse getNamespace(Principal who, String name) {
    String ns = existingNamespace(who, name);
    return json(HttpResponseStatus.OK, configJson(ns, cache.namespaceConfig(ns)));
  }

  private ApiResponse putNamespace(Principal who, String name, JsonBody body) {
    String ns = namespace(name);
    ApiKeys.authorize(who, ns, Role.ADMIN);
    body.only(NAMESPACE_FIELDS);
    boolean exists = cache.namespaceExists(ns);
    NamespaceConfig current = exists ? cache.namespaceConfig(ns) : cache.namespaceDefaults();
    ObjectNode merged = JsonBody.MAPPER.valueToTree(current);
    for (var it = body.node().fields(); it.hasNext(); ) {
      var f = it.next();
      JsonNode expected = merged.get(f.getKey());
      JsonNode v = f.getValue();
      boolean sameType = expected.isNumber() ? v.isNumber() : expected.isBoolean() ? v.isBoolean() : v.isTextual();
      if (!sameType || (expected.isIntegralNumber() && !v.isIntegralNumber())) {
        throw ApiException.invalid("'" + f.getKey() + "' must be " + (expected.isIntegralNumber() ? "an integer"
            : expected.isNumber() ? "a number" : expected.isBoolean() ? "true or false" : "a string") + "; got "
            + JsonBody.kind(v) + " " + JsonBody.abbreviate(v.toString()));
      }
      merged.set(f.getKey(), v);
    }
    NamespaceConfig updated;
    try {
      updated = JsonBody.MAPPER.treeToValue(merged, NamespaceConfig.class);
    } catch (JsonProcessingException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      throw ApiException.invalid(root.getMessage());
    }
    cache.putNamespace(ns, updated);
    WriteLog.configured(who, ns, updated);
    return json(exists ? HttpResponseStatus.OK : HttpResponseStatus.CREATED, configJson(ns, updated));
  }

  private ApiResponse stats(Principal who, String name) {
    String ns = existingNamespace(who, name);
    NamespaceConfig config = cache.namespaceConfig(ns);
    NamespaceStats st = cache.analytics().totals(ns);
    AuditCounts c = cache.analytics().counts(ns);
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("namespace", ns);
    out.put("since", Instant.ofEpochMilli(st.sinceMillis()).toString());
    out.put("threshold", config.threshold());
    out.put("target_false_hit_rate", config.targetFalseHitRate());
    out.put("lookups", st.lookups());
    out.put("exact_hits", st.exactHits());
    out.put("semantic_hits", st.semanticHits());
    out.put("misses", st.misses());
    out.put("hit_rate", st.hitRate());
    out.put("stores", st.stores());
    out.put("entries", cache.entryCount(ns));
    ObjectNode audits = out.putObject("audits");
    audits.put("sampled", st.sampled());
    audits.put("audited", c.audited());
    audits.put("audited_hits", c.auditedHits());
    audits.put("correct", c.hitsJudgedCorrect());
    audits.put("false_hits", c.hitsJudgedFalse());
    audits.put("near_miss_audited", c.nearMissesAudited());
    audits.put("feedback_false_hits", c.feedbackFalse());
    audits.put("feedback_correct", c.feedbackCorrect());
    Proportion rate = c.falseHitRate(config.threshold());
    ObjectNode fhr = out.putObject("false_hit_rate");
    putRate(fhr, rate);
    fhr.put("confidence", rate.confidence());
    fhr.put("audited_hits", rate.trials());
    ObjectNode hist = out.putObject("histograms");
    hist.put("bin_width", SimilarityHistogram.WIDTH);
    hist.put("bins", SimilarityHistogram.BINS);
    hist.set("hits", JsonBody.MAPPER.valueToTree(st.hitHistogram()));
    hist.set("misses", JsonBody.MAPPER.valueToTree(st.missHistogram()));
    hist.set("correct", JsonBody.MAPPER.valueToTree(c.correctHistogram()));
    hist.set("false_hits", JsonBody.MAPPER.valueToTree(c.falseHistogram()));
    NamespaceStats.Series series = st.series(cache.clock().millis(), SERIES_MINUTES);
    ObjectNode ser = out.putObject("series");
    ser.put("step_s", 60);
    ser.put("start", Instant.ofEpochMilli(series.startMinute() * 60_000).toString());
    ser.set("lookups", JsonBody.MAPPER.valueToTree(series.lookups()));
    ser.set("hits", JsonBody.MAPPER.valueToTree(series.hits()));
    return json(HttpResponseStatus.OK, out);
  }

  /** estimate, lower, upper: numbers, or nulls when nothing was audited. */
  private static void putRate(ObjectNode out, Proportion rate) {
    if (rate.known()) {
      out.put("estimate", rate.estimate());
      out.put("lower", rate.lower());
      out.put("upper", rate.upper());
    } else {
      out.putNull("estimate");
      out.putNull("lower");
      out.putNull("upper");
    }
  }

  private ApiResponse analysis(Principal who, String name) {
    String ns = existingNamespace(who, name);
    NamespaceConfig config = cache.namespaceConfig(ns);
    ThresholdCurve.Result r = cache.analytics().analysis(ns, config);
    NamespaceStats st = cache.analytics().totals(ns);
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("namespace", ns);
    out.put("threshold", config.threshold());
    out.put("target_false_hit_rate", config.targetFalseHitRate());
    out.put("confidence", Proportion.CONFIDENCE);
    out.put("lookups", st.lookups());
    out.put("audited", cache.analytics().counts(ns).audited());
    if (Double.isNaN(st.auditFloor())) {
      out.putNull("audit_floor");
    } else {
      out.put("audit_floor", st.auditFloor());
    }
    if (Double.isNaN(r.recommended())) {
      out.putNull("recommended_threshold");
    } else {
      out.put("recommended_threshold", r.recommended());
    }
    out.put("recommendation", r.why());
    out.put("decision", config.decision().value());
    verifiedJson(out.putObject("verified"), ns, config);
    var curve = out.putArray("curve");
    for (ThresholdCurve.Point p : r.points()) {
      ObjectNode o = curve.addObject();
      o.put("threshold", p.threshold());
      o.put("hit_rate", p.hitRate());
      o.put("hits", p.hits());
      o.put("audited", p.rate().trials());
      o.put("false_hits", p.rate().successes());
      ObjectNode rate = JsonBody.MAPPER.createObjectNode();
      putRate(rate, p.rate());
      o.set("false_hit_rate", rate.get("estimate"));
      o.set("lower", rate.get("lower"));
      o.set("upper", rate.get("upper"));
      o.put("covered", p.covered());
    }
    return json(HttpResponseStatus.OK, out);
  }

  /**
   * The figures of per-entry verification (docs/verified.md): what it decided since the server started,
   * how many entries still decide by the namespace's pooled prior, and the measured wrong share of served
   * semantic hits (audited hits, with their interval) beside the bound it must stay under.
   */
  private void verifiedJson(ObjectNode out, String ns, NamespaceConfig config) {
    var f = cache.verifier().figures(ns, config, cache.entryCount(ns));
    out.put("max_false_hit_rate", f.maxFalseHitRate());
    out.put("confidence", f.confidence());
    out.put("lookups", f.lookups());
    out.put("hits", f.hits());
    out.put("explores", f.explores());
    out.put("misses", f.misses());
    if (f.exploreRate() == null) {
      out.putNull("explore_rate");
    } else {
      out.put("explore_rate", f.exploreRate());
    }
    out.put("entries", f.entries());
    out.put("entries_with_verdicts", f.entriesWithVerdicts());
    out.put("warm_entries", f.warmEntries());
    out.put("cold_entries", f.coldEntries());
    if (f.coldServesFrom() == null) {
      out.putNull("cold_serves_from");
    } else {
      out.put("cold_serves_from", f.coldServesFrom());
    }
    AuditCounts c = cache.analytics().counts(ns);
    ObjectNode measured = out.putObject("measured_false_hit_rate");
    putRate(measured, Proportion.of(c.hitsJudgedFalse(), c.auditedHits()));
    measured.put("audited_hits", c.auditedHits());
    out.put("bound_met", c.auditedHits() > 0
        && Proportion.of(c.hitsJudgedFalse(), c.auditedHits()).estimate() <= config.maxFalseHitRate());
  }

  private ApiResponse audits(Principal who, Route.Match m) {
    String ns = existingNamespace(who, m.param());
    ApiKeys.authorizeAllScopes(who); // records carry prompts of every scope
    if (who.role() == Role.METRICS) {
      ApiKeys.authorize(who, ns, Role.READ); // figures, not prompts: refused
    }
    String limitText = m.queryParam("limit");
    int limit = 100;
    if (limitText != null) {
      try {
        limit = Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 10_000) {
        throw ApiException.invalid("query parameter 'limit' must be an integer from 1 to 10000; limit='"
            + JsonBody.abbreviate(limitText) + "'");
      }
    }
    String cursor = m.queryParam("cursor");
    if (cursor != null && !CURSOR.matcher(cursor).matches()) {
      throw ApiException.invalid("query parameter 'cursor' must be a next_cursor of an earlier page; cursor='"
          + JsonBody.abbreviate(cursor) + "'");
    }
    ObjectNode out = JsonBody.MAPPER.createObjectNode().put("namespace", ns);
    var list = out.putArray("audits");
    // Newest first, by a key that is unique and sorts as the time does. A page ends at `limit` records or
    // at about MAX_PAGE_BYTES of JSON, whichever comes first, so that no answer is larger than that for a
    // client to leave unread; next_cursor goes on from its last record.
    List<AuditRecord> all = new java.util.ArrayList<>(cache.analytics().recent(ns, Integer.MAX_VALUE));
    all.sort(java.util.Comparator.comparing(Api::pageKey).reversed());
    long bytes = 0;
    String last = null;
    boolean more = false;
    for (AuditRecord r : all) {
      String key = pageKey(r);
      if (cursor != null && key.compareTo(cursor) >= 0) {
        continue;
      }
      if (list.size() == limit || bytes > MAX_PAGE_BYTES) {
        more = true;
        break;
      }
      list.add(auditJson(r));
      bytes += 512 + 2L * (r.prompt().length() + r.matchedPrompt().length());
      last = key;
    }
    if (more) {
      out.put("next_cursor", last);
    } else {
      out.putNull("next_cursor");
    }
    return json(HttpResponseStatus.OK, out);
  }

  /** Bytes of JSON after which a page of audits ends, whatever its limit. */
  static final long MAX_PAGE_BYTES = 1 << 20;
  private static final Pattern CURSOR = Pattern.compile("[0-9a-f]{16}-l[0-9a-f]{32}-[a-z_]{1,32}");

  private static String pageKey(AuditRecord r) {
    return String.format("%016x-%s-%s", r.judgedAtMillis(), r.lookupId(), r.source());
  }

  private CompletableFuture<ApiResponse> audit(Principal who, String idParam, JsonBody body) {
    String lookupId = lookupId(idParam);
    body.only(AUDIT_FIELDS);
    String ns = namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    String fresh = body.optionalString("fresh_response").orElse(null);
    if (fresh != null && fresh.isBlank()) {
      throw ApiException.invalid("'fresh_response' must be the model's answer, not blank");
    }
    Verdict verdict = body.optionalString("verdict").map(Api::verdict).orElse(null);
    boolean invalidate = body.optionalBoolean("invalidate").orElse(false);
    return guard(() -> cache.audit(ns, lookupId, fresh, verdict, invalidate))
        .thenApply(r -> {
          WriteLog.judged(who, ns, "audit", lookupId, r.verdict(), r.entryId(), r.invalidated());
          return json(HttpResponseStatus.CREATED, auditJson(r));
        });
  }

  private ApiResponse feedback(Principal who, JsonBody body) {
    body.only(FEEDBACK_FIELDS);
    String ns = namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    String lookupId = lookupId(body.requiredString("lookup_id"));
    Verdict verdict = verdict(body.requiredString("verdict"));
    boolean invalidate = body.optionalBoolean("invalidate").orElse(false);
    AuditRecord r = cache.feedback(ns, lookupId, verdict, invalidate);
    WriteLog.judged(who, ns, "feedback", lookupId, r.verdict(), r.entryId(), r.invalidated());
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("lookup_id", r.lookupId());
    out.put("namespace", r.namespace());
    out.put("verdict", r.verdict());
    out.put("recorded", true);
    out.put("invalidated", r.invalidated());
    return json(HttpResponseStatus.ACCEPTED, out);
  }

  private static ObjectNode auditJson(AuditRecord r) {
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("lookup_id", r.lookupId());
    out.put("namespace", r.namespace());
    out.put("kind", r.kind());
    out.put("verdict", r.verdict());
    out.put("source", r.source());
    out.put("similarity", r.similarity());
    out.put("threshold", r.threshold());
    if (r.answerSimilarity() == null) {
      out.putNull("answer_similarity");
    } else {
      out.put("answer_similarity", r.answerSimilarity());
    }
    if (r.judgeProbability() != null) {
      out.put("judge_probability", r.judgeProbability());
    }
    out.put("prompt", r.prompt());
    out.put("matched_prompt", r.matchedPrompt());
    out.put("entry_id", r.entryId());
    out.put("invalidated", r.invalidated());
    out.put("looked_up_at", Instant.ofEpochMilli(r.lookedUpAtMillis()).toString());
    out.put("judged_at", Instant.ofEpochMilli(r.judgedAtMillis()).toString());
    return out;
  }

  private static Verdict verdict(String v) {
    try {
      return Verdict.parse(v);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
  }

  /** A namespace the caller may read (or observe, with the metrics role) and that exists. */
  private String existingNamespace(Principal who, String name) {
    String ns = namespace(name);
    ApiKeys.authorize(who, ns, who.role() == Role.METRICS ? Role.METRICS : Role.READ);
    if (!cache.namespaceExists(ns)) {
      throw notFoundNamespace(ns);
    }
    return ns;
  }

  private static ObjectNode configJson(String ns, NamespaceConfig config) {
    ObjectNode out = JsonBody.MAPPER.createObjectNode().put("namespace", ns);
    out.setAll((ObjectNode) JsonBody.MAPPER.valueToTree(config));
    return out;
  }

  // ------------------------------------------------------------------ helpers

  private static JsonBody jsonBody(HttpCall call) {
    return JsonBody.parse(jsonBytes(call));
  }

  /** The body of a call that must carry JSON, once its Content-Type is checked. */
  private static byte[] jsonBytes(HttpCall call) {
    // Required, not assumed: a web page can send a body without a Content-Type, or as text/plain, in a
    // "simple" cross-site request that no CORS preflight guards; it cannot send application/json so.
    String type = call.contentType();
    if (type == null || !type.regionMatches(true, 0, "application/json", 0, 16)) {
      throw new ApiException(HttpResponseStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type",
          "send the body as JSON with 'Content-Type: application/json'; got "
              + (type == null ? "no Content-Type" : "'" + JsonBody.abbreviate(type) + "'"));
    }
    return call.body();
  }

  static Scope scope(JsonBody body) {
    return Scope.of(body.optionalStringMap("scope", MAX_ATTRIBUTES, MAX_ATTRIBUTE_KEY_CHARS, MAX_ATTRIBUTE_VALUE_CHARS));
  }

  static String namespace(String ns) {
    try {
      return Namespaces.requireValid(ns);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_namespace", e.getMessage());
    }
  }

  private static String entryId(String id) {
    if (id == null || !ENTRY_ID.matcher(id).matches()) {
      throw ApiException.badRequest("invalid_id", "an entry id is 32 lowercase hex digits; id='"
          + JsonBody.abbreviate(String.valueOf(id)) + "'");
    }
    return id;
  }

  private static String lookupId(String id) {
    if (!LOOKUP_ID.matcher(id).matches()) {
      throw ApiException.badRequest("invalid_id", "a lookup_id is 'l' and 32 lowercase hex digits, as a lookup"
          + " returned it; lookup_id='" + JsonBody.abbreviate(id) + "'");
    }
    return id;
  }

  private static String requiredQuery(Route.Match m, String name) {
    String v = m.queryParam(name);
    if (v == null) {
      throw ApiException.invalid("query parameter '" + name + "' is required");
    }
    return v;
  }

  private static ApiException notFoundEntry(String ns, String id) {
    return new ApiException(HttpResponseStatus.NOT_FOUND, "entry_not_found",
        "no live entry " + id + " in namespace '" + ns + "'");
  }

  private static ApiException notFoundNamespace(String ns) {
    return new ApiException(HttpResponseStatus.NOT_FOUND, "namespace_not_found",
        "namespace '" + ns + "' does not exist; an admin creates it with PUT /v1/namespaces/" + ns);
  }

  private static ApiResponse json(HttpResponseStatus status, ObjectNode body) {
    try {
      return ApiResponse.json(status, JsonBody.MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static CompletableFuture<ApiResponse> done(ApiResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  /** Runs a cache call, turning its synchronous refusals into failed futures like its asynchronous ones. */
  private static <T> CompletableFuture<T> guard(java.util.function.Supplier<CompletableFuture<T>> call) {
    try {
      return call.get();
    } catch (CacheRequestException | EmbedderOverloadedException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The error answer for anything a request can fail with. */
  static ApiException toApiException(Throwable t, int retryAfterS) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof ApiException a) {
      return a;
    }
    if (e instanceof CacheRequestException c) {
      HttpResponseStatus status = switch (c.code()) {
        case INVALID_REQUEST, PROMPT_TOO_LONG -> HttpResponseStatus.BAD_REQUEST;
        case ENTRY_NOT_FOUND, NAMESPACE_NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
        case UNCACHEABLE_RESPONSE -> HttpResponseStatus.UNPROCESSABLE_ENTITY;
        case LOOKUP_NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
        case LOOKUP_EXPIRED -> HttpResponseStatus.GONE;
        case NOT_SAMPLED, ALREADY_AUDITED, NOT_A_HIT -> HttpResponseStatus.CONFLICT;
        case THRESHOLD_NOT_ALLOWED -> HttpResponseStatus.FORBIDDEN;
      };
      return new ApiException(status, c.code().wire(), c.getMessage());
    }
    if (e instanceof EmbedderOverloadedException) {
      return overloaded("the embedding queue is full; retry after " + retryAfterS + " s", retryAfterS);
    }
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof StorageUnavailableException u) {
        // never a guess: a lookup that cannot reach its storage is not a miss
        return new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "storage_unavailable",
            "the cache's storage cannot answer now: " + u.getMessage(), Map.of("Retry-After", Integer.toString(retryAfterS)));
      }
    }
    return null;
  }

  static ApiException overloaded(String message, int retryAfterS) {
    return new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "overloaded", message,
        Map.of("Retry-After", Integer.toString(retryAfterS)));
  }
}
