package dev.semcache.server.http;

import static dev.semcache.server.http.Answers.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Entry;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.cache.StoreRequest;
import dev.semcache.server.config.Role;
import dev.semcache.server.http.ApiKeys.Principal;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/lookup} and {@code POST /v1/store}: the hot path. A lookup is read and answered from
 * memory on the event loop when it can be ({@link #onEventLoop}); the rest runs on a worker.
 */
final class LookupRoutes {
  private static final Set<String> STORE_FIELDS = Set.of("namespace", "prompt", "response", "scope", "ttl_s",
      "metadata", "lookup_id", "model_status");
  private static final Map<String, String> EXACT_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.EXACT.header);
  private static final Map<String, String> SEMANTIC_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.SEMANTIC.header);
  private static final Map<String, String> MISS_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.MISS.header);
  private static final Map<String, String> EXPLORE_HEADERS = Map.of("X-Cache-Status", LookupResult.Kind.EXPLORE.header);

  private final SemanticCache cache;
  private final Admission admission;
  private final ServerMetrics metrics;

  LookupRoutes(SemanticCache cache, Admission admission, ServerMetrics metrics) {
    this.cache = cache;
    this.admission = admission;
    this.metrics = metrics;
  }

  /** A lookup read and authorised, ready to run. */
  record PreparedLookup(LookupRequest request, long startNanos, long exactAbsentNanos, Principal who,
      boolean namespaceAdmitted) {
    PreparedLookup withExactAbsent(long nanos) {
      return new PreparedLookup(request, startNanos, nanos, who, namespaceAdmitted);
    }
  }

  PreparedLookup prepare(Principal who, HttpCall call) {
    LookupRequest read = LookupCodec.read(Requests.jsonBytes(call), ns -> ApiKeys.authorize(who, ns, Role.READ));
    ApiKeys.authorizeScope(who, read.scope());
    String ns = read.namespace();
    // On an event loop only a config held in memory is read; otherwise the worker admits the namespace.
    var config = cache.cachedNamespaceConfig(ns);
    admission.admit(who, ns, config.orElse(null));
    return new PreparedLookup(new LookupRequest(ns, read.prompt(), read.scope(), read.threshold(),
        who.role().includes(Role.WRITE)), System.nanoTime(), -1, who, config.isPresent());
  }

  /**
   * The part of a lookup that may run on an event loop: parsing and the exact path from memory
   * ({@link SemanticCache#lookupWithoutIo}). Returns the answer of an exact hit, or the prepared lookup
   * that a worker finishes with {@link #lookup(PreparedLookup)}. No disk I/O, no embedding.
   */
  Object onEventLoop(Principal who, HttpCall call) {
    PreparedLookup p = prepare(who, call);
    SemanticCache.MemoryLookup m = cache.lookupWithoutIo(p.request()); // refusals: Dispatcher maps them
    return m.hit().isPresent() ? answer(p, m.hit().get()) : p.withExactAbsent(m.exactAbsentNanos());
  }

  CompletableFuture<ApiResponse> lookup(PreparedLookup p) {
    String ns = p.request().namespace();
    NamespaceConfig config = admission.configOrDefaults(ns);
    if (!p.namespaceAdmitted()) {
      admission.admitNamespace(ns, config);
    }
    return admission.embedding(p.who(), ns, config, () -> cache.lookup(p.request(), p.exactAbsentNanos()))
        .thenApply(r -> answer(p, r));
  }

  private ApiResponse answer(PreparedLookup p, LookupResult r) {
    metrics.lookup(p.request().namespace(), r, System.nanoTime() - p.startNanos());
    return new ApiResponse(HttpResponseStatus.OK, ApiResponse.JSON, LookupCodec.write(r, cache.clock().millis()),
        switch (r.kind()) {
          case EXACT -> EXACT_HEADERS;
          case SEMANTIC -> SEMANTIC_HEADERS;
          case MISS -> MISS_HEADERS;
          case EXPLORE -> EXPLORE_HEADERS;
        });
  }

  CompletableFuture<ApiResponse> store(Principal who, JsonBody body) {
    body.only(STORE_FIELDS);
    String ns = Requests.namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    String prompt = body.requiredString("prompt");
    String response = body.requiredString("response");
    Scope scope = Requests.scope(body);
    ApiKeys.authorizeScope(who, scope);
    Long ttl = body.optionalLong("ttl_s").orElse(null);
    Map<String, String> metadata = body.optionalStringMap("metadata", Requests.MAX_ATTRIBUTES,
        Requests.MAX_ATTRIBUTE_KEY_CHARS, Requests.MAX_ATTRIBUTE_VALUE_CHARS);
    String lookupId = body.optionalString("lookup_id").map(Requests::lookupId).orElse(null);
    NamespaceConfig quotaConfig = admission.configOrDefaults(ns);
    admission.admit(who, ns, quotaConfig);
    Integer modelStatus = body.optionalLong("model_status").map(s -> {
      if (s < 100 || s > 599) {
        throw ApiException.invalid("'model_status' must be an HTTP status code (100 to 599); model_status=" + s);
      }
      return s.intValue();
    }).orElse(null);
    return admission.embedding(who, ns, quotaConfig,
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
}
