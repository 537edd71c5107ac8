package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a JMH sample-time result file into the table bench/README.md shows: per benchmark, the
 * latency of one call (p50, p99) and texts per second, where one call of {@code batchN} carries N texts
 * and a benchmark run by T threads serves T callers at once (texts/s = N x T / mean call time).
 * Ratios are against {@code EmbedBenchmark.batch32} of the same file, i.e. of the same run.
 */
final class JmhSummary {
  private static final Pattern BATCH = Pattern.compile("batch(\\d+)$");
  private static final String BASELINE = "EmbedBenchmark.batch32";

  private JmhSummary() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: summary JMH_RESULT.json");
      System.exit(2);
    }
    JsonNode results = new ObjectMapper().readTree(new File(args[0]));
    Map<String, double[]> rows = new LinkedHashMap<>();
    for (JsonNode r : results) {
      String name = r.get("benchmark").asText().replaceFirst("^.*\\.bench\\.", "");
      JsonNode m = r.get("primaryMetric");
      double scale = toMillis(m.get("scoreUnit").asText());
      double mean = m.get("score").asDouble() * scale;
      double p50 = m.get("scorePercentiles").get("50.0").asDouble() * scale;
      double p99 = m.get("scorePercentiles").get("99.0").asDouble() * scale;
      int threads = r.get("threads").asInt();
      Matcher b = BATCH.matcher(name);
      int perCall = b.find() ? Integer.parseInt(b.group(1)) : 1;
      double textsPerSecond = perCall * threads * 1000.0 / mean;
      rows.put(name, new double[] {threads, perCall, p50, p99, textsPerSecond});
    }
    double[] base = rows.get(BASELINE);
    System.out.printf("| benchmark | callers | texts/call | p50 ms | p99 ms | texts/s | vs batch32 |%n");
    System.out.printf("|---|---:|---:|---:|---:|---:|---:|%n");
    for (var e : rows.entrySet()) {
      double[] v = e.getValue();
      String ratio = base == null || e.getKey().endsWith("tokenize") ? "" : String.format("%.0f%%", 100 * v[4] / base[4]);
      System.out.printf("| %s | %d | %d | %s | %s | %.0f | %s |%n", e.getKey(), (int) v[0], (int) v[1],
          fmt(v[2]), fmt(v[3]), v[4], ratio);
    }
  }

  private static String fmt(double ms) {
    return ms < 1 ? String.format("%.3f", ms) : String.format("%.1f", ms);
  }

  private static double toMillis(String unit) {
    return switch (unit) {
      case "ms/op" -> 1;
      case "us/op" -> 1e-3;
      case "ns/op" -> 1e-6;
      case "s/op" -> 1e3;
      default -> throw new IllegalArgumentException("unexpected score unit " + unit + "; run JMH in sample-time mode");
    };
  }
}
