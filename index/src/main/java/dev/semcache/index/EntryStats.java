package dev.semcache.index;

/** The part of an entry that changes after insertion, stored apart so a hit does not rewrite the entry. */
public record EntryStats(long expiresAtMillis, long hitCount, long lastHitAtMillis) {}
