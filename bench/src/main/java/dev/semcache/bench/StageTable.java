package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ./semcache bench stages FILE.json}: the table of a {@link HotPathStagesBenchmark} result: each
 * stage's p50 and mean, and its share of a semantic hit and of an exact hit: of the whole lookup measured
 * in the same run (parse + {@code lookup*Hit} + serialise), so that what no stage covers shows as its own
 * row, once by p50 and once by mean (CPU cost adds up by means; p50s are steadier on a shared machine).
 */
final class StageTable {
  private StageTable() {}

  /** A stage's sample-time figures, in microseconds. */
  record Stage(double p50, double mean) {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: stages HOT_PATH_STAGES_RESULT.json");
      System.exit(2);
    }
    System.out.print(table(read(new File(args[0]))));
  }

  /** The stages of a JMH result file, by benchmark method name. */
  static Map<String, Stage> read(File jmhJson) throws IOException {
    Map<String, Stage> out = new LinkedHashMap<>();
    for (JsonNode r : new ObjectMapper().readTree(jmhJson)) {
      String name = r.get("benchmark").asText();
      if (!name.contains(".HotPathStagesBenchmark.")) {
        continue;
      }
      JsonNode m = r.get("primaryMetric");
      if (!m.get("scoreUnit").asText().equals("us/op")) {
        throw new IllegalArgumentException(name + " is in " + m.get("scoreUnit").asText() + "; expected us/op");
      }
      out.put(name.substring(name.lastIndexOf('.') + 1),
          new Stage(m.get("scorePercentiles").get("50.0").asDouble(), m.get("score").asDouble()));
    }
    return out;
  }

  static String table(Map<String, Stage> s) {
    List<String> needed = List.of("parse", "exactHit", "exactAbsent", "tokenize", "inference", "search", "storeRead",
        "serialiseSemantic", "serialiseExact", "lookupExactHit", "lookupSemanticHit");
    for (String n : needed) {
      if (!s.containsKey(n)) {
        throw new IllegalArgumentException("the result has no HotPathStagesBenchmark." + n + "; it has " + s.keySet());
      }
    }
    Totals sem = new Totals(s, List.of("parse", "exactAbsent", "tokenize", "inference", "search", "serialiseSemantic"),
        List.of("parse", "lookupSemanticHit", "serialiseSemantic"));
    Totals exact = new Totals(s, List.of("parse", "exactHit", "serialiseExact"),
        List.of("parse", "lookupExactHit", "serialiseExact"));

    StringBuilder b = new StringBuilder();
    b.append("| stage | what runs | p50 µs | mean µs | share of a semantic hit (p50 / mean) |"
        + " share of an exact hit (p50 / mean) |\n");
    b.append("|---|---|---:|---:|---:|---:|\n");
    row(b, s, "parse", "one streaming Jackson pass over the bytes + field checks (LookupCodec.read, as LookupRoutes.prepare calls it)", sem, exact);
    row(b, s, "exactAbsent", "exact lookup, prompt absent: CacheStorage.probeExact (memory only)", sem, null);
    row(b, s, "exactHit", "exact lookup, prompt stored: CacheStorage.probeExact (memory only)", null, exact);
    row(b, s, "tokenize", "ParallelEmbedder.tokenize", sem, null);
    row(b, s, "inference", "ParallelEmbedder.submit(tokens).join(): hand-off + one single-thread inference", sem, null);
    row(b, s, "search", "CacheStorage.findNearest k=1: HNSW (32 candidates) + reading the match", sem, null);
    Stage read = s.get("storeRead");
    b.append(String.format("| storeRead | CacheStorage.get of the matched entry (inside search above) | %s | %s | (%s) | |%n",
        us(read.p50()), us(read.mean()), shares(read.p50(), read.mean(), sem)));
    row(b, s, "serialiseSemantic", "the answer of a semantic hit: fixed fields + the entry's encoded text (LookupCodec.write)", sem, null);
    row(b, s, "serialiseExact", "the answer of an exact hit: fixed fields + the entry's encoded text (LookupCodec.write)", null, exact);
    b.append(String.format("| **sum of stages** | | %s / %s | %s / %s | %s | %s |%n", us(sem.stagesP50), us(exact.stagesP50),
        us(sem.stagesMean), us(exact.stagesMean), shares(sem.stagesP50, sem.stagesMean, sem),
        shares(exact.stagesP50, exact.stagesMean, exact)));
    b.append(String.format("| **whole lookup** | parse + SemanticCache (lookupSemanticHit / lookupExactHit) + serialise"
            + " | %s / %s | %s / %s | 100%% | 100%% |%n", us(sem.wholeP50), us(exact.wholeP50), us(sem.wholeMean),
        us(exact.wholeMean)));
    b.append(String.format("| not in a stage | whole - sum: hit recording, analytics, lookup id, thread hand-offs | | | %s | %s |%n",
        shares(sem.wholeP50 - sem.stagesP50, sem.wholeMean - sem.stagesMean, sem),
        shares(exact.wholeP50 - exact.stagesP50, exact.wholeMean - exact.stagesMean, exact)));
    return b.toString();
  }

  /**
   * Sums over a path's stages and over its whole lookup, of p50s and of means. A sum of p50s is not the
   * p50 of a sum, but on a noisy machine it is the steadier view; the means are what CPU cost adds up by.
   */
  private static final class Totals {
    final double stagesP50;
    final double stagesMean;
    final double wholeP50;
    final double wholeMean;

    Totals(Map<String, Stage> s, List<String> stages, List<String> whole) {
      stagesP50 = stages.stream().mapToDouble(n -> s.get(n).p50()).sum();
      stagesMean = stages.stream().mapToDouble(n -> s.get(n).mean()).sum();
      wholeP50 = whole.stream().mapToDouble(n -> s.get(n).p50()).sum();
      wholeMean = whole.stream().mapToDouble(n -> s.get(n).mean()).sum();
    }
  }

  private static void row(StringBuilder b, Map<String, Stage> s, String name, String runs, Totals sem, Totals exact) {
    Stage st = s.get(name);
    b.append(String.format("| %s | %s | %s | %s | %s | %s |%n", name, runs, us(st.p50()), us(st.mean()),
        sem == null ? "" : shares(st.p50(), st.mean(), sem), exact == null ? "" : shares(st.p50(), st.mean(), exact)));
  }

  private static String shares(double p50, double mean, Totals t) {
    return pct(p50 / t.wholeP50) + " / " + pct(mean / t.wholeMean);
  }

  private static String us(double v) {
    return v >= 100 ? String.format("%,.0f", v) : v >= 10 ? String.format("%.1f", v) : String.format("%.2f", v);
  }

  private static String pct(double f) {
    return Math.abs(f) >= 0.1 ? String.format("%.0f%%", 100 * f) : String.format("%.1f%%", 100 * f);
  }
}
