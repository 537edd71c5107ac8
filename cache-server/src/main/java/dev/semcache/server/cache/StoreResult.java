package dev.semcache.server.cache;

import dev.semcache.index.Entry;

/**
 * A stored entry.
 *
 * @param entry what was stored
 * @param embeddingReused whether the embedding of the miss named by {@code lookup_id} was reused (true)
 *     or the prompt was embedded again (false)
 */
public record StoreResult(Entry entry, boolean embeddingReused) {}
