package dev.semcache.server.audit;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The lookups an audit or a feedback may still name: a fixed array of slots, one per lookup id's hash,
 * each holding the latest lookup that hashed there. Remembering is one array swap and a few counter
 * updates (it runs for every hit, on the event loop; a bounded Caffeine cache cost 40% of the exact-hit
 * throughput); finding checks the id and the audit window. A newer lookup may take an older one's slot
 * before the window ends, so about the last {@code capacity} lookups are remembered, never more.
 *
 * <h2>Bounds per tenant</h2>
 * A remembered lookup holds its prompt, the matched prompt and, when sampled, the cached answer: up to
 * megabytes. So the table is bounded in bytes as well as in slots, and one namespace cannot take
 * another's room:
 * <ul>
 *   <li>a lookup that would take its namespace over {@code namespaceShare} of {@code maxBytes}, or the
 *       table over {@code maxBytes}, is kept {@linkplain ServedLookup#slim() slim} (prompts cut to 100
 *       characters, no answer, not sampled for audit), so the table holds at most {@code maxBytes}
 *       plus {@code capacity} slim lookups of about 0.6 KB;
 *   <li>a namespace that holds {@code namespaceShare} of the slots already does not displace another
 *       namespace's lookup that is still within the window: its own lookup is not remembered instead.
 * </ul>
 */
final class RecentLookups {
  private final AtomicReferenceArray<ServedLookup> slots;
  private final int mask;
  private final long windowMillis;
  private final long maxBytes;
  private final long namespaceBytes;
  private final long namespaceSlots;
  private final AtomicLong bytes = new AtomicLong();
  private final ConcurrentHashMap<String, Usage> usage = new ConcurrentHashMap<>();

  /** What one namespace holds. */
  private static final class Usage {
    final AtomicLong bytes = new AtomicLong();
    final AtomicLong slots = new AtomicLong();
  }

  RecentLookups(long capacity, long windowMillis, long maxBytes, double namespaceShare) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("remembered bytes must be positive; maxBytes=" + maxBytes);
    }
    if (!(namespaceShare > 0 && namespaceShare <= 1)) {
      throw new IllegalArgumentException("namespace share must be above 0 and at most 1; namespaceShare=" + namespaceShare);
    }
    int n = Integer.highestOneBit((int) Math.min(Math.max(capacity, 2), 1 << 26) - 1) << 1;
    this.slots = new AtomicReferenceArray<>(n);
    this.mask = n - 1;
    this.windowMillis = windowMillis;
    this.maxBytes = maxBytes;
    this.namespaceBytes = (long) (maxBytes * namespaceShare);
    this.namespaceSlots = Math.max(1, (long) (n * namespaceShare));
  }

  /**
   * Remembers a lookup.
   *
   * @return what was remembered: {@code l}, its slim copy, or null if nothing was
   */
  ServedLookup put(ServedLookup l, long nowMillis) {
    int i = index(l.lookupId());
    ServedLookup old = slots.getAcquire(i);
    Usage u = usage.computeIfAbsent(l.namespace(), k -> new Usage());
    boolean sameNamespace = old != null && old.namespace().equals(l.namespace());
    boolean displacesLiveOther = old != null && !sameNamespace && nowMillis - old.atMillis() <= windowMillis;
    if (displacesLiveOther && u.slots.get() >= namespaceSlots) {
      return null;
    }
    long freed = old == null ? 0 : old.bytes();
    ServedLookup kept = l;
    if (u.bytes.get() - (sameNamespace ? freed : 0) + l.bytes() > namespaceBytes
        || bytes.get() - freed + l.bytes() > maxBytes) {
      kept = l.slim();
    }
    ServedLookup displaced = slots.getAndSet(i, kept);
    if (displaced != null && displaced.namespace().equals(kept.namespace())) {
      // The common case, a namespace's lookup taking its own older one's slot: the slot count does not
      // change and the bytes change by the difference. Each of these counters is shared by every event
      // loop, so each update it is spared saves a contended atomic write on the hit path.
      long delta = kept.bytes() - displaced.bytes();
      if (delta != 0) {
        bytes.addAndGet(delta);
        u.bytes.addAndGet(delta);
      }
      return kept;
    }
    count(kept, 1, u);
    if (displaced != null) {
      count(displaced, -1, usage.computeIfAbsent(displaced.namespace(), k -> new Usage()));
    }
    return kept;
  }

  private void count(ServedLookup l, int sign, Usage u) {
    long b = sign * l.bytes();
    bytes.addAndGet(b);
    u.bytes.addAndGet(b);
    u.slots.addAndGet(sign);
  }

  /** The lookup with this id if it is still remembered and not older than the window. */
  ServedLookup get(String lookupId, long nowMillis) {
    ServedLookup l = slots.getAcquire(index(lookupId));
    return l != null && l.lookupId().equals(lookupId) && nowMillis - l.atMillis() <= windowMillis ? l : null;
  }

  int capacity() {
    return mask + 1;
  }

  /** Estimated heap bytes of the remembered lookups, all namespaces together. */
  long bytes() {
    return bytes.get();
  }

  /** Estimated heap bytes of one namespace's remembered lookups. */
  long bytes(String namespace) {
    Usage u = usage.get(namespace);
    return u == null ? 0 : u.bytes.get();
  }

  /** Slots one namespace holds. */
  long slots(String namespace) {
    Usage u = usage.get(namespace);
    return u == null ? 0 : u.slots.get();
  }

  private int index(String lookupId) {
    int h = lookupId.hashCode();
    return (h ^ (h >>> 16)) & mask;
  }
}
