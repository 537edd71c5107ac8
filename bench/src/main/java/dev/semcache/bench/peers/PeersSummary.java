package dev.semcache.bench.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * {@code ./semcache bench peers-summary FILE.json}: the table of an {@link IndexPeersBenchmark} result file
 * joined with {@value PeerCalibration#FILE}: per size and setting, the calibrated width and recall, latency
 * (mean, p50, p99 µs per search), and speed against exact search of the same size in the same run.
 */
public final class PeersSummary {
  private PeersSummary() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1) {
      System.err.println("usage: peers-summary JMH_RESULT.json");
      System.exit(2);
    }
    Properties calibration = new Properties();
    try (var r = Files.newBufferedReader(Path.of(PeerCalibration.FILE))) {
      calibration.load(r);
    }
    JsonNode results = new ObjectMapper().readTree(new File(args[0]));
    Map<String, Double> exactMean = new HashMap<>();
    for (JsonNode r : results) {
      if (r.get("params").get("setting").asText().equals("exact")) {
        exactMean.put(r.get("params").get("size").asText(), micros(r, "score"));
      }
    }
    System.out.printf("| entries | index | recall target | width | recall@10 | mean µs | p50 µs | p99 µs | searches/s | speed vs exact | build s | bytes/vector |%n");
    System.out.printf("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%n");
    for (JsonNode r : results) {
      String size = r.get("params").get("size").asText();
      String setting = r.get("params").get("setting").asText();
      String[] parts = setting.split("@", 2);
      PeerKind kind = PeerKind.parse(parts[0]);
      double mean = micros(r, "score");
      JsonNode pct = r.get("primaryMetric").get("scorePercentiles");
      double scale = scale(r);
      String target = parts.length == 1 ? "exact" : parts[1];
      String width = parts.length == 1 ? "all" : calibration.getProperty(PeerCalibration.key(Integer.parseInt(size), kind,
          Double.parseDouble(parts[1])) + ".width", "?");
      String prefix = parts.length == 1 ? "" : PeerCalibration.key(Integer.parseInt(size), kind, Double.parseDouble(parts[1]));
      String recall = parts.length == 1 ? "1.0000" : calibration.getProperty(prefix + ".recall_at_10", "?")
          + (Boolean.parseBoolean(calibration.getProperty(prefix + ".reached", "true")) ? "" : " (not reached)");
      Double exact = exactMean.get(size);
      System.out.printf("| %,d | %s | %s | %s | %s | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |%n", Integer.parseInt(size),
          kind.label(), target, width, recall, mean, pct.get("50.0").asDouble() * scale, pct.get("99.0").asDouble() * scale,
          1e6 / mean, exact == null ? "" : String.format("%.1fx", exact / mean),
          calibration.getProperty(size + "." + kind.label() + ".build_s", ""),
          calibration.getProperty(size + "." + kind.label() + ".bytes_per_vector", ""));
    }
  }

  private static double micros(JsonNode r, String field) {
    return r.get("primaryMetric").get(field).asDouble() * scale(r);
  }

  private static double scale(JsonNode r) {
    String unit = r.get("primaryMetric").get("scoreUnit").asText();
    return switch (unit) {
      case "us/op" -> 1;
      case "ns/op" -> 1e-3;
      case "ms/op" -> 1e3;
      default -> throw new IllegalArgumentException("unexpected score unit " + unit + "; run JMH in sample-time mode");
    };
  }
}
