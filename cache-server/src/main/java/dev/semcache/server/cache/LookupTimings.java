package dev.semcache.server.cache;

/**
 * Where a lookup spent its time, in nanoseconds; a stage that did not run is -1.
 *
 * @param exactNanos the exact path (normalised prompt hash, store read)
 * @param embedNanos the embedding, queueing included
 * @param searchNanos the vector search and the checks of its candidates against the store
 */
public record LookupTimings(long exactNanos, long embedNanos, long searchNanos) {
  static final long NOT_RUN = -1;
}
