package dev.semcache.server.audit;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The lookups an audit or a feedback may still name: a fixed array of slots, one per lookup id's hash,
 * each holding the latest lookup that hashed there. Remembering is one array store (it runs for every
 * hit, on the event loop; a bounded Caffeine cache cost 40% of the exact-hit throughput); finding checks
 * the id and the audit window. A newer lookup may take an older one's slot before the window ends, so
 * about the last {@code capacity} lookups are remembered, never more.
 */
final class RecentLookups {
  private final AtomicReferenceArray<ServedLookup> slots;
  private final int mask;

  RecentLookups(long capacity) {
    int n = Integer.highestOneBit((int) Math.min(Math.max(capacity, 2), 1 << 26) - 1) << 1;
    this.slots = new AtomicReferenceArray<>(n);
    this.mask = n - 1;
  }

  void put(ServedLookup l) {
    slots.setRelease(index(l.lookupId()), l);
  }

  /** The lookup with this id if it is still remembered and not older than {@code windowMillis}. */
  ServedLookup get(String lookupId, long nowMillis, long windowMillis) {
    ServedLookup l = slots.getAcquire(index(lookupId));
    return l != null && l.lookupId().equals(lookupId) && nowMillis - l.atMillis() <= windowMillis ? l : null;
  }

  int capacity() {
    return mask + 1;
  }

  private int index(String lookupId) {
    int h = lookupId.hashCode();
    return (h ^ (h >>> 16)) & mask;
  }
}
