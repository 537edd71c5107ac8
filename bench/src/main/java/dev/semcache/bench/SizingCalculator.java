package dev.semcache.bench;

/**
 * Turns measured figures and a target into cores, heap, off-heap memory and disk. Pure arithmetic; the
 * formula is in bench/README.md ("Hot-path stages and sizing") and in {@link SizingPlan}'s fields.
 *
 * <p>CPU: every kind of request costs what it cost end to end in the HTTP load run on the measuring
 * machine, plus what depends on the corpus: a semantic hit or a miss is an embedded lookup plus a search
 * of a partition of {@code entries}; a miss is followed by {@code storesPerMiss} stores, each an HTTP
 * request (costed as an exact hit) plus the storage's write. Cores are the CPU-seconds per second over
 * the target utilisation, rounded up.
 *
 * <p>Memory and disk: see {@link #plan}. Constants that come from semcache's defaults are named here with
 * the class they come from.
 */
final class SizingCalculator {
  /** {@code SemanticCache}: a miss keeps its embedding for 10 minutes, at most 100,000 of them. */
  static final double PENDING_TTL_S = 600;
  static final long PENDING_MAX = 100_000;
  /** {@code Analytics.Settings.defaults()}: 200,000 remembered lookups, rounded up to a power of two of slots, for an hour. */
  static final long REMEMBERED_SLOTS = 262_144;
  static final double REMEMBERED_WINDOW_S = 3_600;
  /** Bytes per slot of the remembered lookups' array (a compressed reference). */
  static final long SLOT_BYTES = 4;
  /** The heap to give the JVM: twice what is live, so that collections stay short and rare. */
  static final double HEAP_HEADROOM = 2;
  static final long HEAP_ROUNDING = 256L << 20;
  /** Disk for compaction (RocksDB) and segment merges (Lucene) beside the live data. */
  static final double DISK_HEADROOM = 1.5;

  private SizingCalculator() {}

  static SizingPlan plan(SizingFigures f, SizingTarget t) {
    double search = f.search().secondsAt(t.entries());
    double embedded = f.embeddedLookupCpuS().value() + search;
    double storeRequest = f.storeCpuS().value() + f.exactHitCpuS().value();
    double exactCpu = t.exactHitsPerSecond() * f.exactHitCpuS().value();
    double semanticCpu = t.semanticHitsPerSecond() * embedded;
    double missCpu = t.missesPerSecond() * embedded;
    double storeCpu = t.missesPerSecond() * t.storesPerMiss() * storeRequest;
    double cpu = exactCpu + semanticCpu + missCpu + storeCpu;
    int cores = (int) Math.max(1, Math.ceil(cpu / t.utilisation() - 1e-9));

    long pending = (long) Math.min(PENDING_MAX, Math.ceil(t.missesPerSecond() * PENDING_TTL_S));
    long remembered = (long) Math.min(REMEMBERED_SLOTS, Math.ceil(t.lookupsPerSecond() * REMEMBERED_WINDOW_S));
    double pendingBytes = pending * f.pendingLookupBytes().value();
    double rememberedBytes = remembered * f.rememberedLookupBytes().value() + REMEMBERED_SLOTS * SLOT_BYTES;
    double entryHeap = t.entries() * f.heapBytesPerEntry().value();
    double heapLive = f.heapFixedBytes().value() + entryHeap + pendingBytes + rememberedBytes;
    long heapMax = (long) (Math.ceil(heapLive * HEAP_HEADROOM / HEAP_ROUNDING) * HEAP_ROUNDING);

    double indexBytes = t.entries() * f.indexBytesPerEntry().value();
    double offHeap = f.blockCacheBytes().value() + indexBytes + f.modelBytes().value();

    double diskPerEntry = f.diskBytesPerEntry().value() + Math.max(0, t.payloadBytes() - f.measuredPayloadBytes().value());
    double disk = t.entries() * diskPerEntry * DISK_HEADROOM;

    return new SizingPlan(search, embedded, storeRequest, exactCpu, semanticCpu, missCpu, storeCpu, cpu, cores,
        entryHeap, pending, pendingBytes, remembered, rememberedBytes, heapLive, heapMax, indexBytes, offHeap,
        diskPerEntry, disk);
  }
}
