package dev.semcache.server.http;

import static dev.semcache.server.http.Answers.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Entry;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.config.Role;
import dev.semcache.server.http.ApiKeys.Principal;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** {@code GET} and {@code DELETE /v1/entries/{id}}, and {@code POST /v1/invalidate}. */
final class EntryRoutes {
  /** Entries an invalidation by similarity removes at most. */
  static final int MAX_INVALIDATE_SIMILAR = 1000;
  private static final Set<String> INVALIDATE_FIELDS = Set.of("namespace", "scope", "prompt", "min_similarity");

  private final SemanticCache cache;
  private final Admission admission;

  EntryRoutes(SemanticCache cache, Admission admission) {
    this.cache = cache;
    this.admission = admission;
  }

  ApiResponse get(Principal who, Route.Match m) {
    String id = Requests.entryId(m.param());
    String ns = Requests.namespace(Requests.requiredQuery(m, "namespace"));
    ApiKeys.authorize(who, ns, Role.READ);
    Entry e = cache.get(ns, id).filter(found -> who.mayUse(found.scope()))
        .orElseThrow(() -> Requests.notFoundEntry(ns, id));
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

  ApiResponse delete(Principal who, Route.Match m) {
    String id = Requests.entryId(m.param());
    String ns = Requests.namespace(Requests.requiredQuery(m, "namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    if (who.pinned() && cache.get(ns, id).filter(found -> who.mayUse(found.scope())).isEmpty()) {
      throw Requests.notFoundEntry(ns, id); // another scope's entry is not there for this key
    }
    if (!cache.delete(ns, id)) {
      throw Requests.notFoundEntry(ns, id);
    }
    WriteLog.deleted(who, ns, id);
    return ApiResponse.noContent();
  }

  CompletableFuture<ApiResponse> invalidate(Principal who, JsonBody body) {
    body.only(INVALIDATE_FIELDS);
    String ns = Requests.namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    Scope scope = Requests.scope(body);
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
    NamespaceConfig quotaConfig = admission.configOrDefaults(ns);
    admission.admit(who, ns, quotaConfig);
    CompletableFuture<Integer> removed = prompt.isPresent()
        ? admission.embedding(who, ns, quotaConfig,
            () -> cache.invalidateSimilar(ns, scope, prompt.get(), min.get(), MAX_INVALIDATE_SIMILAR))
        : Answers.guard(() -> CompletableFuture.completedFuture(cache.invalidate(ns, scope)));
    return removed.thenApply(n -> {
      WriteLog.invalidated(who, ns, scope, prompt.isPresent(), n);
      return json(HttpResponseStatus.OK, JsonBody.MAPPER.createObjectNode().put("removed", n));
    });
  }
}
