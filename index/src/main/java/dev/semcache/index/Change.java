package dev.semcache.index;

/**
 * One entry of the store's change log, which the vector index replays after a crash.
 *
 * @param sequence the store's sequence number of the write, increasing by one per write
 * @param upsert true if the entry was written, false if it was removed
 * @param entryId the entry concerned
 */
public record Change(long sequence, boolean upsert, String entryId) {}
