package dev.semcache.server.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * Lookup statistics of one namespace, durable: lookups by result, stores, audit samples, similarity
 * histograms of the nearest entry (hits and misses), per-minute lookups and hits, and the audit floor.
 * Updated lock-free on the lookup path; written as a {@link Stored} record every second and on close.
 * Verdict counts are not here: they are derived from the audit records themselves ({@link AuditLog}).
 */
public final class NamespaceStats {
  /** Minutes of per-minute history kept. */
  public static final int MINUTES = 24 * 60;

  final LongAdder lookups = new LongAdder();
  final LongAdder exactHits = new LongAdder();
  final LongAdder semanticHits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder stores = new LongAdder();
  final LongAdder sampled = new LongAdder();
  final SimilarityHistogram hits = new SimilarityHistogram();
  final SimilarityHistogram missed = new SimilarityHistogram();
  /** Ring of per-minute (lookups, hits): slot {@code minute % MINUTES}, tagged with its minute. */
  private final AtomicLongArray minuteTag = new AtomicLongArray(MINUTES);
  private final AtomicLongArray minuteLookups = new AtomicLongArray(MINUTES);
  private final AtomicLongArray minuteHits = new AtomicLongArray(MINUTES);
  private final long sinceMillis;
  private volatile double auditFloor;
  volatile boolean dirty;

  NamespaceStats(long sinceMillis) {
    this.sinceMillis = sinceMillis;
    this.auditFloor = Double.NaN;
    for (int i = 0; i < MINUTES; i++) {
      minuteTag.set(i, -1);
    }
  }

  public long sinceMillis() {
    return sinceMillis;
  }

  public long lookups() {
    return lookups.sum();
  }

  public long exactHits() {
    return exactHits.sum();
  }

  public long semanticHits() {
    return semanticHits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public long stores() {
    return stores.sum();
  }

  /** Lookups sampled for audit (hits and near misses). */
  public long sampled() {
    return sampled.sum();
  }

  public double hitRate() {
    long n = lookups();
    return n == 0 ? 0 : (exactHits() + semanticHits()) / (double) n;
  }

  /** Similarities of served semantic hits. */
  public long[] hitHistogram() {
    return hits.counts();
  }

  /** Similarities of the nearest entry of misses that had one. */
  public long[] missHistogram() {
    return missed.counts();
  }

  /** The nearest entry's similarity of every semantic-path lookup that had one: hits and misses. */
  public long[] nearestHistogram() {
    long[] h = hits.counts();
    long[] m = missed.counts();
    for (int i = 0; i < h.length; i++) {
      h[i] += m[i];
    }
    return h;
  }

  /** The lowest similarity at which audits have been sampled since the statistics began, NaN if never. */
  public double auditFloor() {
    return auditFloor;
  }

  void lowerAuditFloor(double floor) {
    double f = auditFloor;
    if (Double.isNaN(f) || floor < f) {
      synchronized (this) {
        if (Double.isNaN(auditFloor) || floor < auditFloor) {
          auditFloor = Math.max(0, floor);
          dirty = true;
        }
      }
    }
  }

  void countMinute(long nowMillis, boolean hit) {
    long minute = nowMillis / 60_000;
    int slot = (int) (minute % MINUTES);
    long tag = minuteTag.get(slot);
    if (tag != minute) {
      synchronized (this) {
        if (minuteTag.get(slot) != minute) {
          minuteLookups.set(slot, 0);
          minuteHits.set(slot, 0);
          minuteTag.set(slot, minute);
        }
      }
    }
    minuteLookups.incrementAndGet(slot);
    if (hit) {
      minuteHits.incrementAndGet(slot);
    }
  }

  /** Per-minute lookups and hits, oldest first. */
  public record Series(long startMinute, long[] lookups, long[] hits) {}

  /** The last {@code minutes} minutes up to the one holding {@code nowMillis} (not before the statistics began). */
  public Series series(long nowMillis, int minutes) {
    long now = nowMillis / 60_000;
    long start = Math.max(now - Math.min(minutes, MINUTES) + 1, sinceMillis / 60_000);
    int n = (int) (now - start + 1);
    long[] l = new long[Math.max(0, n)];
    long[] h = new long[Math.max(0, n)];
    for (int i = 0; i < n; i++) {
      long minute = start + i;
      int slot = (int) (minute % MINUTES);
      if (minuteTag.get(slot) == minute) {
        l[i] = minuteLookups.get(slot);
        h[i] = minuteHits.get(slot);
      }
    }
    return new Series(start, l, h);
  }

  // ------------------------------------------------------------------ stored form

  /** The stored form (JSON, {@code "format": 1}); {@code minutes} holds [minute, lookups, hits] triples. */
  record Stored(
      @JsonProperty("format") int format,
      @JsonProperty("since_ms") long sinceMillis,
      @JsonProperty("lookups") long lookups,
      @JsonProperty("exact_hits") long exactHits,
      @JsonProperty("semantic_hits") long semanticHits,
      @JsonProperty("misses") long misses,
      @JsonProperty("stores") long stores,
      @JsonProperty("sampled") long sampled,
      @JsonProperty("audit_floor") Double auditFloor,
      @JsonProperty("hits") long[] hits,
      @JsonProperty("misses_nearest") long[] missesNearest,
      @JsonProperty("minutes") List<long[]> minutes) {
    static final int FORMAT = 1;
  }

  Stored toStored() {
    List<long[]> minutes = new ArrayList<>();
    for (int slot = 0; slot < MINUTES; slot++) {
      long tag = minuteTag.get(slot);
      if (tag >= 0 && minuteLookups.get(slot) > 0) {
        minutes.add(new long[] {tag, minuteLookups.get(slot), minuteHits.get(slot)});
      }
    }
    minutes.sort(java.util.Comparator.comparingLong(m -> m[0]));
    double floor = auditFloor;
    return new Stored(Stored.FORMAT, sinceMillis, lookups(), exactHits(), semanticHits(), misses(), stores(), sampled(),
        Double.isNaN(floor) ? null : floor, hits.counts(), missed.counts(), minutes);
  }

  /**
   * The statistics of several nodes added up: counts, histograms and per-minute series summed, the
   * earliest start and the lowest audit floor. Each node writes its own record (see {@code Analytics}),
   * so that no node overwrites another's increments; answers show the sum.
   */
  static NamespaceStats sum(String namespace, List<NamespaceStats> parts) {
    if (parts.size() == 1) {
      return parts.get(0);
    }
    long since = Long.MAX_VALUE;
    long lookups = 0;
    long exact = 0;
    long semantic = 0;
    long misses = 0;
    long stores = 0;
    long sampled = 0;
    Double floor = null;
    long[] hits = null;
    long[] missed = null;
    java.util.TreeMap<Long, long[]> minutes = new java.util.TreeMap<>();
    for (NamespaceStats part : parts) {
      Stored p = part.toStored();
      since = Math.min(since, p.sinceMillis());
      lookups += p.lookups();
      exact += p.exactHits();
      semantic += p.semanticHits();
      misses += p.misses();
      stores += p.stores();
      sampled += p.sampled();
      if (p.auditFloor() != null) {
        floor = floor == null ? p.auditFloor() : Math.min(floor, p.auditFloor());
      }
      hits = add(hits, p.hits());
      missed = add(missed, p.missesNearest());
      for (long[] m : p.minutes()) {
        long[] sum = minutes.computeIfAbsent(m[0], k -> new long[] {k, 0, 0});
        sum[1] += m[1];
        sum[2] += m[2];
      }
    }
    return fromStored(namespace, new Stored(Stored.FORMAT, since, lookups, exact, semantic, misses, stores, sampled,
        floor, hits, missed, new ArrayList<>(minutes.values())));
  }

  private static long[] add(long[] sum, long[] more) {
    if (sum == null) {
      return more.clone();
    }
    for (int i = 0; i < Math.min(sum.length, more.length); i++) {
      sum[i] += more[i];
    }
    return sum;
  }

  static NamespaceStats fromStored(String namespace, Stored s) {
    if (s.format() != Stored.FORMAT) {
      throw new IllegalStateException("statistics of namespace " + namespace + " have format " + s.format()
          + "; this build reads format " + Stored.FORMAT);
    }
    NamespaceStats n = new NamespaceStats(s.sinceMillis());
    n.lookups.add(s.lookups());
    n.exactHits.add(s.exactHits());
    n.semanticHits.add(s.semanticHits());
    n.misses.add(s.misses());
    n.stores.add(s.stores());
    n.sampled.add(s.sampled());
    n.auditFloor = s.auditFloor() == null ? Double.NaN : s.auditFloor();
    n.hits.addAll(s.hits());
    n.missed.addAll(s.missesNearest());
    for (long[] minute : s.minutes()) {
      int slot = (int) (minute[0] % MINUTES);
      n.minuteTag.set(slot, minute[0]);
      n.minuteLookups.set(slot, minute[1]);
      n.minuteHits.set(slot, minute[2]);
    }
    return n;
  }
}
