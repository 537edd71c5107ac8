package dev.semcache.server.http;

import dev.semcache.index.Namespaces;
import dev.semcache.index.Scope;
import dev.semcache.server.audit.Verdict;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.config.Role;
import dev.semcache.server.http.ApiKeys.Principal;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.regex.Pattern;

/**
 * Reading the parts of a v1 request that several routes share (the JSON body, namespace, scope, ids, query
 * parameters), each refused with a 4xx {@link ApiException} whose message names the bad value.
 */
final class Requests {
  /** Scope and metadata bounds: they are stored with every entry and hashed into every key. */
  static final int MAX_ATTRIBUTES = 32;
  static final int MAX_ATTRIBUTE_KEY_CHARS = 128;
  static final int MAX_ATTRIBUTE_VALUE_CHARS = 1024;
  private static final Pattern ENTRY_ID = Pattern.compile("[0-9a-f]{32}");
  private static final Pattern LOOKUP_ID = Pattern.compile("l[0-9a-f]{32}");

  private Requests() {}

  static JsonBody jsonBody(HttpCall call) {
    return JsonBody.parse(jsonBytes(call));
  }

  /** The body of a call that must carry JSON, once its Content-Type is checked. */
  static byte[] jsonBytes(HttpCall call) {
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

  static String entryId(String id) {
    if (id == null || !ENTRY_ID.matcher(id).matches()) {
      throw ApiException.badRequest("invalid_id", "an entry id is 32 lowercase hex digits; id='"
          + JsonBody.abbreviate(String.valueOf(id)) + "'");
    }
    return id;
  }

  static String lookupId(String id) {
    if (!LOOKUP_ID.matcher(id).matches()) {
      throw ApiException.badRequest("invalid_id", "a lookup_id is 'l' and 32 lowercase hex digits, as a lookup"
          + " returned it; lookup_id='" + JsonBody.abbreviate(id) + "'");
    }
    return id;
  }

  static Verdict verdict(String v) {
    try {
      return Verdict.parse(v);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
  }

  static String requiredQuery(Route.Match m, String name) {
    String v = m.queryParam(name);
    if (v == null) {
      throw ApiException.invalid("query parameter '" + name + "' is required");
    }
    return v;
  }

  /** A namespace the caller may read (or observe, with the metrics role) and that exists. */
  static String existingNamespace(SemanticCache cache, Principal who, String name) {
    String ns = namespace(name);
    ApiKeys.authorize(who, ns, who.role() == Role.METRICS ? Role.METRICS : Role.READ);
    if (!cache.namespaceExists(ns)) {
      throw notFoundNamespace(ns);
    }
    return ns;
  }

  static ApiException notFoundEntry(String ns, String id) {
    return new ApiException(HttpResponseStatus.NOT_FOUND, "entry_not_found",
        "no live entry " + id + " in namespace '" + ns + "'");
  }

  static ApiException notFoundNamespace(String ns) {
    return new ApiException(HttpResponseStatus.NOT_FOUND, "namespace_not_found",
        "namespace '" + ns + "' does not exist; an admin creates it with PUT /v1/namespaces/" + ns);
  }
}
