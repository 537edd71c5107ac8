package dev.semcache.index;

import java.time.Duration;

/**
 * When the embedded vector index merges itself down to a few segments, as {@code semcache compact-index}
 * does by hand. A search visits every segment's graph: a million entries in the nine segments Lucene's
 * merging leaves search at p99 2.5 to 2.7 ms, in two segments at 1.3 to 1.5 ms (bench/README.md, issue 15).
 * Merging costs minutes of CPU at that size, so it waits until the index has gone quiet.
 *
 * <p>An index is due when it holds at least {@code minEntries} entries and more than {@code segments} of
 * its segments each hold at least {@link #LARGE_SEGMENT_SHARE} of them. Small segments do not count: the
 * few that a trickle of writes adds after a compaction cost a search little, and merging them into a large
 * one would rewrite it for nothing.
 *
 * @param segments merge down to this many segments; 0 never merges on its own
 * @param minEntries only indexes of at least this many entries (smaller ones search fast in any shape)
 * @param idle only after this long without a store, removal or expiry reaching the index
 */
public record CompactionPolicy(int segments, long minEntries, Duration idle) {
  /** The share of the index a segment must hold to count against {@link #segments}. */
  public static final double LARGE_SEGMENT_SHARE = 0.01;

  /** Two segments (one merged segment loses recall at a million entries), from 100,000 entries, after 2 minutes quiet. */
  public static CompactionPolicy defaults() {
    return new CompactionPolicy(2, 100_000, Duration.ofMinutes(2));
  }

  /** Never merges on its own. */
  public static CompactionPolicy off() {
    return new CompactionPolicy(0, defaults().minEntries(), defaults().idle());
  }

  public CompactionPolicy {
    if (segments < 0) {
      throw new IllegalArgumentException("compaction segments must not be negative (0 turns it off); segments=" + segments);
    }
    if (minEntries < 0) {
      throw new IllegalArgumentException("compaction minimum entries must not be negative; min_entries=" + minEntries);
    }
    if (idle == null || idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException("compaction idle time must be positive; idle=" + idle);
    }
  }

  public boolean enabled() {
    return segments > 0;
  }

  /** Whether an index whose segments hold these live entries should be merged down now that it is quiet. */
  public boolean due(int[] segmentEntries) {
    if (!enabled() || segmentEntries.length <= segments) {
      return false;
    }
    long total = 0;
    for (int n : segmentEntries) {
      total += n;
    }
    if (total < Math.max(1, minEntries)) {
      return false;
    }
    int large = 0;
    for (int n : segmentEntries) {
      if (n >= total * LARGE_SEGMENT_SHARE) {
        large++;
      }
    }
    return large > segments;
  }
}
