package dev.semcache.server.http;

import static dev.semcache.server.http.Answers.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.config.Role;
import dev.semcache.server.http.ApiKeys.Principal;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Set;

/** {@code GET /v1/namespaces} and {@code GET} and {@code PUT /v1/namespaces/{ns}}: namespace configs. */
final class NamespaceRoutes {
  private static final Set<String> NAMESPACE_FIELDS = Set.of("threshold", "ttl_s", "max_ttl_s", "max_entries",
      "sliding_ttl", "audit_rate", "target_false_hit_rate", "prompt_overflow", "answer_threshold", "near_miss_audit_band",
      "fingerprint_window", "cache_nondeterministic", "cache_non_text", "decision", "max_false_hit_rate",
      "max_prompt_bytes", "rate_limit_per_s", "rate_burst", "max_concurrent_embeddings", "second_stage_judge");

  private final SemanticCache cache;

  NamespaceRoutes(SemanticCache cache) {
    this.cache = cache;
  }

  ApiResponse list(Principal who) {
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

  ApiResponse get(Principal who, String name) {
    String ns = Requests.existingNamespace(cache, who, name);
    return json(HttpResponseStatus.OK, configJson(ns, cache.namespaceConfig(ns)));
  }

  /** Merges the body's fields into the current config (or the defaults), each checked for its type. */
  ApiResponse put(Principal who, String name, JsonBody body) {
    String ns = Requests.namespace(name);
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

  private static ObjectNode configJson(String ns, NamespaceConfig config) {
    ObjectNode out = JsonBody.MAPPER.createObjectNode().put("namespace", ns);
    out.setAll((ObjectNode) JsonBody.MAPPER.valueToTree(config));
    return out;
  }
}
