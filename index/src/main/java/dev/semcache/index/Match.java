package dev.semcache.index;

/**
 * A live entry found by semantic search.
 *
 * @param entry the entry, read from the store
 * @param similarity the exact cosine similarity of the query to the entry's stored full-precision vector
 */
public record Match(Entry entry, float similarity) {}
