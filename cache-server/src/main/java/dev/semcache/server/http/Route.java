package dev.semcache.server.http;

import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The API's paths. A path is split on '/' before any segment is percent-decoded, so an encoded slash
 * or dot-dot stays inside its segment (and then fails that segment's validation) instead of reaching
 * another route.
 */
enum Route {
  LOOKUP("lookup", HttpMethod.POST, "v1", "lookup"),
  STORE("store", HttpMethod.POST, "v1", "entries"),
  ENTRY_GET("entry_get", HttpMethod.GET, "v1", "entries", "{id}"),
  ENTRY_DELETE("entry_delete", HttpMethod.DELETE, "v1", "entries", "{id}"),
  INVALIDATE("invalidate", HttpMethod.POST, "v1", "invalidate"),
  NAMESPACES("namespaces", HttpMethod.GET, "v1", "namespaces"),
  NAMESPACE_GET("namespace_get", HttpMethod.GET, "v1", "namespaces", "{ns}"),
  NAMESPACE_PUT("namespace_put", HttpMethod.PUT, "v1", "namespaces", "{ns}"),
  STATS("stats", HttpMethod.GET, "v1", "namespaces", "{ns}", "stats"),
  ANALYSIS("analysis", HttpMethod.GET, "v1", "namespaces", "{ns}", "analysis"),
  AUDITS("audits", HttpMethod.GET, "v1", "namespaces", "{ns}", "audits"),
  AUDIT("audit", HttpMethod.POST, "v1", "audits", "{id}"),
  FEEDBACK("feedback", HttpMethod.POST, "v1", "feedback"),
  CHAT_COMPLETIONS("chat_completions", HttpMethod.POST, "v1", "chat", "completions"),
  COMPLETIONS("completions", HttpMethod.POST, "v1", "completions"),
  EMBEDDINGS("embeddings", HttpMethod.POST, "v1", "embeddings"),
  DASHBOARD("dashboard", HttpMethod.GET, "dashboard"),
  DASHBOARD_FILE("dashboard", HttpMethod.GET, "dashboard", "{file}"),
  METRICS("metrics", HttpMethod.GET, "metrics"),
  HEALTHZ("healthz", HttpMethod.GET, "healthz"),
  READYZ("readyz", HttpMethod.GET, "readyz");

  /** A matched route with its decoded path parameter (or null) and query. */
  record Match(Route route, String param, Map<String, List<String>> query) {
    String queryParam(String name) {
      List<String> v = query.get(name);
      if (v == null || v.isEmpty()) {
        return null;
      }
      if (v.size() > 1) {
        throw ApiException.invalid("query parameter '" + name + "' is given " + v.size() + " times");
      }
      return v.get(0);
    }
  }

  final String label;

  /** Whether the route is proxy mode's (OpenAI-compatible, see {@link ProxyRoute}). */
  boolean proxied() {
    return this == CHAT_COMPLETIONS || this == COMPLETIONS || this == EMBEDDINGS;
  }

  final HttpMethod method;
  private final String[] pattern;

  Route(String label, HttpMethod method, String... pattern) {
    this.label = label;
    this.method = method;
    this.pattern = pattern;
  }

  /**
   * The route of a request target.
   *
   * @throws ApiException 404 for an unknown path, 405 (with {@code Allow}) for a known path and wrong method
   */
  private static final Match LOOKUP_MATCH = new Match(LOOKUP, null, Map.of());

  static Match match(HttpMethod method, String uri) {
    if (method.equals(HttpMethod.POST) && uri.equals("/v1/lookup")) {
      return LOOKUP_MATCH; // the hot path, without parsing
    }
    if (uri.isEmpty() || uri.charAt(0) != '/') {
      throw ApiException.badRequest("bad_request", "the request target must be a path starting with '/'");
    }
    QueryStringDecoder decoder = new QueryStringDecoder(uri);
    String rawPath = decoder.rawPath();
    Map<String, List<String>> query;
    try {
      query = decoder.parameters();
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad_request", "malformed query string: " + JsonBody.abbreviate(decoder.rawQuery()));
    }
    String[] segments = rawPath.substring(1).split("/", -1);
    List<Route> samePath = new ArrayList<>();
    for (Route r : values()) {
      String param = r.bind(segments);
      if (param != null) {
        if (r.method.equals(method)) {
          return new Match(r, param.isEmpty() ? null : param, query);
        }
        samePath.add(r);
      }
    }
    if (!samePath.isEmpty()) {
      String allow = samePath.stream().map(r -> r.method.name()).distinct().collect(Collectors.joining(", "));
      throw new ApiException(HttpResponseStatus.METHOD_NOT_ALLOWED, "method_not_allowed",
          method.name() + " is not allowed on " + JsonBody.abbreviate(rawPath) + "; allowed: " + allow,
          Map.of("Allow", allow));
    }
    throw new ApiException(HttpResponseStatus.NOT_FOUND, "not_found", "no such path: " + JsonBody.abbreviate(rawPath));
  }

  /** The decoded parameter ("" if the pattern has none) when the segments fit, else null. */
  private String bind(String[] segments) {
    if (segments.length != pattern.length) {
      return null;
    }
    String param = "";
    for (int i = 0; i < pattern.length; i++) {
      if (pattern[i].startsWith("{")) {
        param = decode(segments[i]);
      } else if (!pattern[i].equals(segments[i])) {
        return null;
      }
    }
    return param;
  }

  private static String decode(String segment) {
    try {
      return QueryStringDecoder.decodeComponent(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("bad_request", "malformed percent-encoding in the path: " + JsonBody.abbreviate(segment));
    }
  }
}
