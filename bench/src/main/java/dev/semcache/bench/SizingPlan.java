package dev.semcache.bench;

/**
 * What a target needs ({@link SizingCalculator#plan}). Seconds are CPU-seconds of one core; bytes are bytes.
 *
 * @param searchS one search of a partition of the target's entries
 * @param embeddedLookupS a semantic hit or a miss: an embedded lookup over HTTP plus that search
 * @param storeRequestS one store after a miss: the storage's write plus an HTTP request (as an exact hit)
 * @param exactCpu CPU-seconds per second for exact hits: exact hits/s x exact-hit cost
 * @param semanticCpu for semantic hits: semantic hits/s x {@code embeddedLookupS}
 * @param missCpu for misses: misses/s x {@code embeddedLookupS}
 * @param storeCpu for the stores after misses: misses/s x stores per miss x {@code storeRequestS}
 * @param cpuPerSecond the sum: cores busy at the target rate
 * @param cores {@code cpuPerSecond} over the target utilisation, rounded up
 * @param entryHeapBytes entries x heap per entry
 * @param pendingLookups misses remembered for their store: misses/s x 600 s, at most 100,000
 * @param pendingBytes their heap
 * @param rememberedLookups lookups remembered for audits: lookups/s x 3,600 s, at most the slots
 * @param rememberedBytes their heap plus the slot array
 * @param heapLiveBytes fixed + entries + pending + remembered
 * @param heapMaxBytes the -Xmx to give: twice the live heap, rounded up to 256 MiB
 * @param indexBytes Lucene vectors and graph, memory-mapped: page cache to keep them resident
 * @param offHeapBytes block cache + index + ONNX Runtime sessions
 * @param diskBytesPerEntry measured bytes per entry plus the payload beyond the measured one
 * @param diskBytes entries x that x compaction headroom
 */
record SizingPlan(double searchS, double embeddedLookupS, double storeRequestS, double exactCpu, double semanticCpu,
    double missCpu, double storeCpu, double cpuPerSecond, int cores, double entryHeapBytes, long pendingLookups,
    double pendingBytes, long rememberedLookups, double rememberedBytes, double heapLiveBytes, long heapMaxBytes,
    double indexBytes, double offHeapBytes, double diskBytesPerEntry, double diskBytes) {}
