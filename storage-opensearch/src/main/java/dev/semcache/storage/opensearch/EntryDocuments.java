package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Entry;
import dev.semcache.index.EntryStats;
import dev.semcache.index.Keys;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * An entry as documents: the entries document (everything but the hit figures, with the vector) and the
 * hits document (hit count, last hit, sliding expiry), both under one id derived from the exact-path key.
 * The entry id is that document id and 8 random hex digits, so an id that was replaced opens nothing.
 */
final class EntryDocuments {
  private static final SecureRandom RANDOM = new SecureRandom();

  private EntryDocuments() {}

  /** The document id of an exact-path key: 24 hex digits (96 bits) of its SHA-256. */
  static String docId(String namespace, Scope scope, String prompt) {
    return HexFormat.of().formatHex(sha256(Keys.exact(namespace, scope, prompt))).substring(0, 24);
  }

  /** A new entry id in the document {@code docId}. */
  static String newId(String docId) {
    byte[] suffix = new byte[4];
    RANDOM.nextBytes(suffix);
    return docId + HexFormat.of().formatHex(suffix);
  }

  /** The document id inside an entry id (24 hex digits, then 8 random ones), or null if it is not one. */
  static String docIdOf(String id) {
    if (id == null || id.length() != 32) {
      return null;
    }
    for (int i = 0; i < 32; i++) {
      char c = id.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return null;
      }
    }
    return id.substring(0, 24);
  }

  /** The entries document: the entry without its hit figures. */
  static ObjectNode entryDoc(Entry e, NamespaceConfig c) {
    ObjectNode d = ClusterClient.JSON.createObjectNode();
    d.put("id", e.id()).put("namespace", e.namespace()).put("partition", Keys.partition(e.namespace(), e.scope()));
    ObjectNode scope = d.putObject("scope");
    e.scope().attributes().forEach(scope::put);
    d.put("prompt", e.prompt()).put("response", e.response());
    ObjectNode meta = d.putObject("metadata");
    new TreeMap<>(e.metadata()).forEach(meta::put);
    ArrayNode v = d.putArray("embedding");
    for (float x : e.embedding()) {
      v.add(x);
    }
    d.put("created_at", e.createdAtMillis()).put("ttl_ms", e.ttlMillis()).put("expires_at", e.expiresAtMillis())
        .put("slide_cap", c.slidingTtl() ? e.createdAtMillis() + c.maxTtlSeconds() * 1000 : 0)
        .put("size_bytes", sizeOf(e));
    return d;
  }

  /** The hits document of an entry: its figures as they are now. */
  static ObjectNode hitDoc(Entry e) {
    return ClusterClient.JSON.createObjectNode().put("id", e.id()).put("namespace", e.namespace())
        .put("partition", Keys.partition(e.namespace(), e.scope())).put("hit_count", e.hitCount())
        .put("last_hit_at", e.lastHitAtMillis()).put("expires_at", e.expiresAtMillis());
  }

  /** The bytes the global byte bound counts: what the entry's values take (as in the embedded storage's codec). */
  static long sizeOf(Entry e) {
    long size = e.prompt().getBytes(StandardCharsets.UTF_8).length + e.response().getBytes(StandardCharsets.UTF_8).length
        + 4L * e.embedding().length + e.namespace().length() + 64;
    for (Map.Entry<String, String> m : e.metadata().entrySet()) {
      size += m.getKey().length() + m.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    for (Map.Entry<String, String> m : e.scope().attributes().entrySet()) {
      size += m.getKey().length() + m.getValue().getBytes(StandardCharsets.UTF_8).length;
    }
    return size;
  }

  /**
   * The entry of an entries document, with the figures it was stored with (no hits since, unless it is a
   * version-1 document that still holds them): {@link #withHits} adds those of its hits document.
   */
  static Entry entry(JsonNode s) {
    Map<String, String> scope = new TreeMap<>();
    s.path("scope").fields().forEachRemaining(f -> scope.put(f.getKey(), f.getValue().asText()));
    Map<String, String> meta = new TreeMap<>();
    s.path("metadata").fields().forEachRemaining(f -> meta.put(f.getKey(), f.getValue().asText()));
    JsonNode v = s.path("embedding");
    float[] vector = new float[v.size()];
    for (int i = 0; i < vector.length; i++) {
      vector[i] = v.get(i).floatValue();
    }
    long created = s.path("created_at").asLong();
    return new Entry(s.path("id").asText(), s.path("namespace").asText(), Scope.of(scope), s.path("prompt").asText(),
        s.path("response").asText(), vector, created, s.path("ttl_ms").asLong(), s.path("expires_at").asLong(),
        s.path("hit_count").asLong(0), s.path("last_hit_at").asLong(created), meta);
  }

  /** The entry with the figures of its hits document, if {@code hitSource} is the one of this entry id. */
  static Entry withHits(Entry e, JsonNode hitSource) {
    if (hitSource == null || !e.id().equals(hitSource.path("id").asText())) {
      return e;
    }
    return e.withStats(new EntryStats(Math.max(e.expiresAtMillis(), hitSource.path("expires_at").asLong()),
        hitSource.path("hit_count").asLong(), Math.max(e.lastHitAtMillis(), hitSource.path("last_hit_at").asLong())));
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}
