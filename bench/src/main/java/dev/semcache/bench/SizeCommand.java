package dev.semcache.bench;

import dev.semcache.embedding.ModelSpec;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./semcache bench size}: the cores, heap, off-heap memory and disk a target needs, derived from the
 * figures measured on this project's machine ({@link MeasuredFigures}) by {@link SizingCalculator}. Prints
 * the inputs with their source files and machines, the derivation, and a one-row Markdown table.
 */
@Command(name = "size", mixinStandardHelpOptions = true, sortOptions = false,
    description = "Sizing from measured figures: cores, heap, off-heap and disk for a target load (bench/README.md).")
final class SizeCommand implements Callable<Integer> {
  @Option(names = "--lookups-per-s", required = true, description = "lookups per second at peak")
  double lookupsPerSecond;

  @Option(names = "--entries", required = true, description = "live entries (sized as one partition)")
  long entries;

  @Option(names = "--hit-rate", required = true, description = "share of lookups that hit, 0 to 1")
  double hitRate;

  @Option(names = "--exact-share", defaultValue = "" + SizingTarget.DEFAULT_EXACT_SHARE,
      description = "share of the hits that are exact (default: ${DEFAULT-VALUE})")
  double exactShare;

  @Option(names = "--stores-per-miss", defaultValue = "" + SizingTarget.DEFAULT_STORES_PER_MISS,
      description = "stores that follow a miss (default: ${DEFAULT-VALUE})")
  double storesPerMiss;

  @Option(names = "--payload-bytes", defaultValue = "" + SizingTarget.DEFAULT_PAYLOAD_BYTES,
      description = "prompt + response + metadata bytes per entry (default: ${DEFAULT-VALUE})")
  long payloadBytes;

  @Option(names = "--utilisation", defaultValue = "" + SizingTarget.DEFAULT_UTILISATION,
      description = "CPU utilisation to size for (default: ${DEFAULT-VALUE})")
  double utilisation;

  @Option(names = "--model", defaultValue = ModelSpec.DEFAULT, description = "model (default: ${DEFAULT-VALUE})")
  String model;

  @Option(names = "--results", defaultValue = "bench/results", description = "result files (default: ${DEFAULT-VALUE})")
  Path results;

  @Override
  public Integer call() throws Exception {
    SizingTarget target = new SizingTarget(lookupsPerSecond, entries, hitRate, exactShare, storesPerMiss, payloadBytes,
        utilisation);
    SizingFigures f = MeasuredFigures.read(results, model);
    SizingPlan p = SizingCalculator.plan(f, target);
    System.out.print(report(f, target, p, model));
    return 0;
  }

  static String report(SizingFigures f, SizingTarget t, SizingPlan p, String model) {
    StringBuilder b = new StringBuilder();
    b.append(String.format("## Sizing: %,.0f lookups/s, %,d entries, hit rate %.0f%% (%.0f%% of hits exact), model %s%n%n",
        t.lookupsPerSecond(), t.entries(), 100 * t.hitRate(), 100 * t.exactShare(), model));
    b.append("Inputs:\n\n| figure | value | source |\n|---|---:|---|\n");
    for (SizingFigures.Named n : f.all()) {
      b.append(String.format("| %s | %s | %s |%n", n.name(), value(n.figure()), n.figure().source()));
    }
    b.append(String.format("| search, by partition size | %s | %s |%n", curve(f.search()), f.search().source()));
    b.append("\nMeasured on:\n");
    f.machine().lines().forEach(l -> b.append("- ").append(l).append('\n'));
    b.append(String.format("%nCPU: %.1f exact hits/s, %.1f semantic hits/s, %.1f misses/s%n", t.exactHitsPerSecond(),
        t.semanticHitsPerSecond(), t.missesPerSecond()));
    b.append(String.format("- search of %,d entries: %s; an embedded lookup: %s + %s = %s%n", t.entries(),
        time(p.searchS()), time(f.embeddedLookupCpuS().value()), time(p.searchS()), time(p.embeddedLookupS())));
    b.append(String.format("- a store after a miss: %s + an HTTP request as an exact hit %s = %s%n",
        time(f.storeCpuS().value()), time(f.exactHitCpuS().value()), time(p.storeRequestS())));
    b.append(String.format("- CPU-s/s = exact %.3f + semantic %.3f + misses %.3f + stores %.3f = %.3f; cores = ceil(%.3f / %.2f) = %d%n",
        p.exactCpu(), p.semanticCpu(), p.missCpu(), p.storeCpu(), p.cpuPerSecond(), p.cpuPerSecond(), t.utilisation(),
        p.cores()));
    b.append(String.format("Heap: fixed %s + entries %s + %,d pending misses %s + %,d remembered lookups %s = %s live;"
            + " -Xmx %s (2x live, rounded up to 256 MiB)%n", bytes(f.heapFixedBytes().value()), bytes(p.entryHeapBytes()),
        p.pendingLookups(), bytes(p.pendingBytes()), p.rememberedLookups(), bytes(p.rememberedBytes()),
        bytes(p.heapLiveBytes()), bytes(p.heapMaxBytes())));
    b.append(String.format("Off-heap: RocksDB block cache %s + Lucene vectors and graph (mmap) %s + ONNX Runtime %s = %s%n",
        bytes(f.blockCacheBytes().value()), bytes(p.indexBytes()), bytes(f.modelBytes().value()), bytes(p.offHeapBytes())));
    b.append(String.format("Disk: %,d entries x %,.0f B x %.1f (compaction and merge headroom) = %s%n%n", t.entries(),
        p.diskBytesPerEntry(), SizingCalculator.DISK_HEADROOM, bytes(p.diskBytes())));
    b.append("| lookups/s | entries | hit rate | exact share | CPU-s/s | cores | heap -Xmx | off-heap | disk |\n");
    b.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    b.append(String.format("| %,.0f | %,d | %.0f%% | %.0f%% | %.2f | %d | %s | %s | %s |%n", t.lookupsPerSecond(),
        t.entries(), 100 * t.hitRate(), 100 * t.exactShare(), p.cpuPerSecond(), p.cores(), bytes(p.heapMaxBytes()),
        bytes(p.offHeapBytes()), bytes(p.diskBytes())));
    return b.toString();
  }

  private static String value(SizingFigures.Figure f) {
    return f.unit().equals("s") ? time(f.value()) : bytes(f.value());
  }

  private static String curve(SizingFigures.SearchCurve c) {
    StringBuilder b = new StringBuilder();
    for (var p : c.points()) {
      b.append(b.isEmpty() ? "" : ", ").append(String.format("%,.0f: %s", p.entries(), time(p.seconds())));
    }
    return b.toString();
  }

  static String time(double s) {
    return s >= 1e-3 ? String.format("%.2f ms", s * 1e3) : String.format("%.1f µs", s * 1e6);
  }

  static String bytes(double b) {
    if (b >= 1L << 30) {
      return String.format("%.1f GiB", b / (1L << 30));
    }
    if (b >= 1L << 20) {
      return String.format("%.0f MiB", b / (1L << 20));
    }
    return b >= 1 << 10 ? String.format("%.1f KiB", b / (1 << 10)) : String.format("%.0f B", b);
  }
}
