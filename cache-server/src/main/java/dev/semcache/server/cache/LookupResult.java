package dev.semcache.server.cache;

import dev.semcache.index.Entry;

/**
 * The answer to a lookup.
 *
 * @param kind how it was answered
 * @param entry the cached entry on a hit, null on a miss
 * @param similarity cosine similarity of the prompt to the served entry (1 for an exact hit); on a miss,
 *     the similarity of the nearest entry of the partition, or NaN if it has none
 * @param threshold the threshold the lookup was judged against
 * @param lookupId identifies this lookup for a following store, audit or feedback
 * @param timings where the lookup spent its time
 * @param audit whether the gateway is asked to audit this lookup (see {@code Analytics})
 * @param nearest on a miss sampled for audit, the nearest entry (what would have been served); else null
 */
public record LookupResult(Kind kind, Entry entry, float similarity, double threshold, String lookupId,
    LookupTimings timings, boolean audit, Entry nearest) {

  /** How a lookup was answered; also the {@code X-Cache-Status} header. */
  public enum Kind {
    EXACT("HIT-EXACT"),
    SEMANTIC("HIT-SEMANTIC"),
    MISS("MISS"),
    /** A miss for the caller in a {@code verified} namespace, sampled for audit to teach the nearest entry. */
    EXPLORE("EXPLORE");

    public final String header;

    Kind(String header) {
      this.header = header;
    }
  }

  public boolean hit() {
    return kind == Kind.EXACT || kind == Kind.SEMANTIC;
  }
}
