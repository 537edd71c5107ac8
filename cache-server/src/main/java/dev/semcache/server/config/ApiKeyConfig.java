package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One API key, as the config holds it: never the key itself, only its SHA-256 (make one with {@code
 * semcache keygen}).
 *
 * @param name who holds the key; appears in logs, never the key
 * @param sha256 hex SHA-256 of the key's UTF-8 bytes
 * @param role {@code read} (lookups), {@code write} (also stores, deletes, invalidations) or {@code
 *     admin} (also namespace configs, and creating namespaces)
 * @param namespaces the namespaces it may use; {@code "*"} means all
 * @param scope scope attributes the key is pinned to (for example {@code user: alice}), or empty: every
 *     lookup, store and invalidation it makes must carry them with these values, and it reads only
 *     entries stored under them. Not for admin keys (they change whole namespaces)
 * @param rateLimitPerS requests a second the key may make; absent or 0 means no limit
 * @param rateBurst requests that may come at once within that rate; absent or 0 means one second's worth
 * @param maxConcurrentEmbeddings requests that may embed in progress at once for the key; absent or 0
 *     means no limit
 */
public record ApiKeyConfig(
    @JsonProperty("name") String name,
    @JsonProperty("sha256") String sha256,
    @JsonProperty("role") String role,
    @JsonProperty("namespaces") List<String> namespaces,
    @JsonProperty("scope") java.util.Map<String, String> scope,
    @JsonProperty("rate_limit_per_s") Double rateLimitPerS,
    @JsonProperty("rate_burst") Integer rateBurst,
    @JsonProperty("max_concurrent_embeddings") Integer maxConcurrentEmbeddings) {
  private static final Pattern HEX64 = Pattern.compile("[0-9a-fA-F]{64}");

  @com.fasterxml.jackson.annotation.JsonCreator
  public ApiKeyConfig {
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("api_keys: every key needs a name; name=" + name);
    }
    if (sha256 == null || !HEX64.matcher(sha256).matches()) {
      throw new IllegalArgumentException("api_keys." + name + ".sha256 must be 64 hex digits (semcache keygen makes"
          + " one); sha256=" + sha256);
    }
    Role.parse(role, "api_keys." + name + ".role");
    if (namespaces == null || namespaces.isEmpty()) {
      throw new IllegalArgumentException("api_keys." + name + ".namespaces must list at least one namespace, or \"*\"");
    }
    namespaces = List.copyOf(namespaces);
    scope = scope == null ? java.util.Map.of() : java.util.Map.copyOf(scope);
    rateLimitPerS = rateLimitPerS == null ? 0.0 : rateLimitPerS;
    rateBurst = rateBurst == null ? 0 : rateBurst;
    maxConcurrentEmbeddings = maxConcurrentEmbeddings == null ? 0 : maxConcurrentEmbeddings;
    if (!(rateLimitPerS >= 0 && rateLimitPerS <= 1e9) || rateBurst < 0 || maxConcurrentEmbeddings < 0) {
      throw new IllegalArgumentException("api_keys." + name + ": rate_limit_per_s (0 to 1e9), rate_burst and"
          + " max_concurrent_embeddings must not be negative; rate_limit_per_s=" + rateLimitPerS + ", rate_burst="
          + rateBurst + ", max_concurrent_embeddings=" + maxConcurrentEmbeddings);
    }
    if (!scope.isEmpty() && "admin".equals(role)) {
      throw new IllegalArgumentException("api_keys." + name + ".scope: an admin key cannot be pinned to a scope (it"
          + " changes whole namespaces); give the pinned key role read or write");
    }
  }

  /** A key that is not pinned to a scope. */
  public ApiKeyConfig(String name, String sha256, String role, List<String> namespaces) {
    this(name, sha256, role, namespaces, java.util.Map.of(), null, null, null);
  }

  public byte[] hash() {
    return HexFormat.of().parseHex(sha256.toLowerCase(Locale.ROOT));
  }

  /** How a key is hashed, for the config ({@code semcache keygen}) and for checking a presented key alike. */
  public static byte[] digest(String key) {
    try {
      return java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
