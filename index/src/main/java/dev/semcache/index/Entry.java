package dev.semcache.index;

import java.util.Map;

/**
 * One cached answer.
 *
 * @param id unique, chosen by the storage at insertion
 * @param namespace the tenant or application it belongs to
 * @param scope the exact-match attributes it was stored under
 * @param prompt the prompt as the gateway sent it
 * @param response the model's answer, opaque UTF-8 (often JSON)
 * @param embedding the prompt's unit vector, kept so that the index can be rebuilt without the model
 * @param createdAtMillis insertion time, epoch milliseconds
 * @param ttlMillis the time to live it was stored with (sliding TTL renews by this much on a hit)
 * @param expiresAtMillis when it stops being served, epoch milliseconds
 * @param hitCount how often it was served
 * @param lastHitAtMillis when it was last served (its insertion time before the first hit)
 * @param metadata free-form string attributes from the gateway, returned as stored
 */
public record Entry(
    String id,
    String namespace,
    Scope scope,
    String prompt,
    String response,
    float[] embedding,
    long createdAtMillis,
    long ttlMillis,
    long expiresAtMillis,
    long hitCount,
    long lastHitAtMillis,
    Map<String, String> metadata) {

  public Entry {
    metadata = Map.copyOf(metadata);
  }

  /** Whether the entry may still be served at {@code nowMillis}. */
  public boolean isLiveAt(long nowMillis) {
    return nowMillis < expiresAtMillis;
  }

  /** The same entry with new hit statistics and expiry. */
  public Entry withStats(EntryStats stats) {
    return new Entry(id, namespace, scope, prompt, response, embedding, createdAtMillis, ttlMillis,
        stats.expiresAtMillis(), stats.hitCount(), stats.lastHitAtMillis(), metadata);
  }

  public EntryStats stats() {
    return new EntryStats(expiresAtMillis, hitCount, lastHitAtMillis);
  }

  /** Equal when every field is, the embedding compared by value. */
  @Override
  public boolean equals(Object o) {
    return o instanceof Entry e && id.equals(e.id) && namespace.equals(e.namespace) && scope.equals(e.scope)
        && prompt.equals(e.prompt) && response.equals(e.response) && java.util.Arrays.equals(embedding, e.embedding)
        && createdAtMillis == e.createdAtMillis && ttlMillis == e.ttlMillis && expiresAtMillis == e.expiresAtMillis
        && hitCount == e.hitCount && lastHitAtMillis == e.lastHitAtMillis && metadata.equals(e.metadata);
  }

  @Override
  public int hashCode() {
    return id.hashCode();
  }

  @Override
  public String toString() {
    return "Entry{id=" + id + ", namespace=" + namespace + ", scope=" + scope + ", prompt="
        + (prompt.length() > 40 ? prompt.substring(0, 40) + "..." : prompt) + ", expiresAt=" + expiresAtMillis + "}";
  }
}
