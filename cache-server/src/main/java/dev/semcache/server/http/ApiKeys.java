package dev.semcache.server.http;

import dev.semcache.index.Scope;
import dev.semcache.server.config.ApiKeyConfig;
import dev.semcache.server.config.Role;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The configured API keys. A presented key is hashed with SHA-256 and compared with every configured
 * hash in constant time ({@link MessageDigest#isEqual}), without stopping at the first match, so the
 * time taken says nothing about which key, or how much of one, matched. Keys themselves are never held.
 */
final class ApiKeys {
  /** Who made a request: the key's name, role, namespaces and the scope attributes it is pinned to. */
  record Principal(String name, Role role, Set<String> namespaces, Map<String, String> pinnedScope, double ratePerS,
      int rateBurst, int maxEmbeddings) {
    static final Principal LOOPBACK = new Principal("(no keys configured)", Role.ADMIN, Set.of("*"), Map.of(), 0, 0, 0);

    boolean mayUse(String namespace) {
      return namespaces.contains("*") || namespaces.contains(namespace);
    }

    boolean pinned() {
      return !pinnedScope.isEmpty();
    }

    /** Whether a scope carries every attribute this key is pinned to, with its value. */
    boolean mayUse(Scope scope) {
      for (var e : pinnedScope.entrySet()) {
        if (!e.getValue().equals(scope.attributes().get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
  }

  private record Key(byte[] hash, Principal principal) {}

  private static final Map<String, String> CHALLENGE = Map.of("WWW-Authenticate", "Bearer realm=\"semcache\"");

  private final List<Key> keys;

  ApiKeys(List<ApiKeyConfig> configured) {
    this.keys = configured.stream()
        .map(k -> new Key(k.hash(), new Principal(k.name(), Role.parse(k.role()), Set.copyOf(k.namespaces()), k.scope(),
            k.rateLimitPerS(), k.rateBurst(), k.maxConcurrentEmbeddings())))
        .toList();
  }

  boolean enabled() {
    return !keys.isEmpty();
  }

  /**
   * The principal of an {@code Authorization} header value.
   *
   * @throws ApiException 401 if keys are configured and the header is missing, malformed or unknown
   */
  Principal authenticate(String authorization) {
    if (keys.isEmpty()) {
      return Principal.LOOPBACK;
    }
    if (authorization == null) {
      throw unauthorized("missing Authorization header; send 'Authorization: Bearer <key>'");
    }
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() == 7) {
      throw unauthorized("the Authorization header must be 'Bearer <key>'");
    }
    byte[] presented = ApiKeyConfig.digest(authorization.substring(7).trim());
    Principal found = null;
    for (Key k : keys) {
      if (MessageDigest.isEqual(k.hash(), presented) && found == null) {
        found = k.principal();
      }
    }
    if (found == null) {
      throw unauthorized("unknown API key");
    }
    return found;
  }

  /**
   * @throws ApiException 403 unless the principal may act in {@code namespace} with {@code role}
   */
  static void authorize(Principal p, String namespace, Role role) {
    if (!p.role().includes(role)) {
      throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden", "key '" + p.name() + "' has role "
          + p.role().wire() + "; this call needs " + role.wire());
    }
    if (namespace != null && !p.mayUse(namespace)) {
      throw new ApiException(HttpResponseStatus.FORBIDDEN, "forbidden", "key '" + p.name()
          + "' may not use namespace '" + namespace + "'");
    }
  }

  /**
   * Scope as an access boundary: a key pinned to scope attributes may only name scopes that carry them.
   *
   * @throws ApiException 403 otherwise
   */
  static void authorizeScope(Principal p, Scope scope) {
    if (!p.mayUse(scope)) {
      throw new ApiException(HttpResponseStatus.FORBIDDEN, "scope_forbidden", "key '" + p.name() + "' is pinned to"
          + " scope " + new java.util.TreeMap<>(p.pinnedScope()) + "; the request's scope must carry those attributes"
          + " with those values");
    }
  }

  /**
   * @throws ApiException 403 if the key is pinned to a scope: the call spans every scope of a namespace
   */
  static void authorizeAllScopes(Principal p) {
    if (p.pinned()) {
      throw new ApiException(HttpResponseStatus.FORBIDDEN, "scope_forbidden", "key '" + p.name() + "' is pinned to"
          + " scope " + new java.util.TreeMap<>(p.pinnedScope()) + " and may not call what spans every scope of a"
          + " namespace");
    }
  }

  private static ApiException unauthorized(String message) {
    return new ApiException(HttpResponseStatus.UNAUTHORIZED, "unauthorized", message, CHALLENGE);
  }
}
