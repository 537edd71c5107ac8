package dev.semcache.index;

/**
 * A search result of the vector index.
 *
 * @param entryId the entry
 * @param similarity the cosine similarity the index computed (approximate with a quantized format)
 */
public record Neighbor(String entryId, float similarity) {}
