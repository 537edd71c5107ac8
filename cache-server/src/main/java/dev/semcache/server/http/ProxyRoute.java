package dev.semcache.server.http;

import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Namespaces;
import dev.semcache.server.config.Role;
import dev.semcache.server.http.ApiKeys.Principal;
import dev.semcache.server.proxy.EmbeddingQuota;
import dev.semcache.server.proxy.ProxyCall;
import dev.semcache.server.proxy.ProxyHandler;
import dev.semcache.server.proxy.ProxyReply;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Proxy mode's routes over HTTP: authenticates the caller with semcache's key, picks the namespace, and
 * hands the call to the {@link ProxyHandler}.
 *
 * <p>In proxy mode the caller's {@code Authorization} header belongs to the upstream (it is forwarded),
 * so semcache's own key travels in {@code X-Semcache-Key} (with or without {@code Bearer }). The
 * namespace is {@code X-Semcache-Namespace}, else the key's only namespace, else {@code
 * proxy.default_namespace}. A key with role read gets hits but stores nothing; write or admin stores.
 *
 * <p>The quotas of the v1 API apply as they do there, and are counted together with the v1 calls: every
 * proxied call takes one request from the key's and the namespace's rate limits (429 {@code rate_limited}
 * with {@code Retry-After}), and its lookup and store run within their {@code max_concurrent_embeddings}
 * (429 {@code too_many_embeddings}). A key pinned to scope attributes has them added to the scope of its
 * calls' lookups and stores, so that it reads and writes only its own partition of the namespace.
 */
final class ProxyRoute {
  static final String KEY_HEADER = "X-Semcache-Key";
  static final String NAMESPACE_HEADER = "X-Semcache-Namespace";
  private static final byte[] EMPTY = new byte[0];

  private final ApiKeys keys;
  private final Admission quotas;
  private final ProxyHandler handler;
  private final String defaultNamespace;

  /**
   * @param quotas the v1 API's quotas, which proxied calls share
   * @param handler the proxy, or null when proxy mode is off
   */
  ProxyRoute(ApiKeys keys, Admission quotas, ProxyHandler handler, String defaultNamespace) {
    this.keys = keys;
    this.quotas = quotas;
    this.handler = handler;
    this.defaultNamespace = defaultNamespace;
  }

  CompletableFuture<ApiResponse> handle(HttpCall call) {
    if (handler == null) {
      throw new ApiException(HttpResponseStatus.NOT_FOUND, "proxy_off", "proxy mode is off, so " + call.uri().split("\\?")[0]
          + " is not served; set proxy.upstream (SEMCACHE_PROXY_UPSTREAM, --upstream) to the base URL of an"
          + " OpenAI-compatible API, e.g. https://api.openai.com/v1");
    }
    String key = call.header(KEY_HEADER);
    Principal who = keys.authenticate(key == null ? null
        : key.regionMatches(true, 0, "Bearer ", 0, 7) ? key : "Bearer " + key.strip());
    String ns = namespace(who, call.header(NAMESPACE_HEADER));
    ApiKeys.authorize(who, ns, Role.READ);
    boolean mayStore = who.role().includes(Role.WRITE);
    NamespaceConfig config = quotas.configOrDefaults(ns);
    quotas.admit(who, ns, config);
    EmbeddingQuota quota = new EmbeddingQuota() {
      @Override
      public <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> embedding) {
        return quotas.embedding(who, ns, config, embedding);
      }
    };
    return handler.handle(new ProxyCall(call.uri(), call.headers(), call.body(), ns, mayStore, who.pinnedScope(), quota))
        .thenApply(ProxyRoute::response);
  }

  private String namespace(Principal who, String requested) {
    String ns = requested;
    if (ns == null) {
      ns = who.namespaces().size() == 1 && !who.namespaces().contains("*") ? who.namespaces().iterator().next()
          : defaultNamespace;
    }
    try {
      return Namespaces.requireValid(ns);
    } catch (IllegalArgumentException e) {
      throw ApiException.badRequest("invalid_namespace", NAMESPACE_HEADER + ": " + e.getMessage());
    }
  }

  private static ApiResponse response(ProxyReply reply) {
    Map<String, String> headers = new LinkedHashMap<>();
    String type = null;
    for (var h : reply.headers().entrySet()) {
      if (h.getKey().equalsIgnoreCase("Content-Type")) {
        type = h.getValue();
      } else {
        headers.put(h.getKey(), h.getValue());
      }
    }
    HttpResponseStatus status = HttpResponseStatus.valueOf(reply.status());
    return switch (reply) {
      case ProxyReply.Whole w -> new ApiResponse(status, type, w.body(), headers);
      case ProxyReply.Streamed s -> new ApiResponse(status, type, EMPTY, headers, s.body());
    };
  }
}
