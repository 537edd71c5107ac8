package dev.semcache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** {@code bench load --rounds}: ratios are paired within a round, and the report gives their median. */
class LoadReportTest {

  private static LoadGenerator.Row row(String scenario, int round, long requests) {
    Histogram h = new Histogram(3);
    h.recordValue(1_000_000);
    LoadClient.Result r = new LoadClient.Result(scenario, 16, 1.0, requests, h, Map.of(200, requests), Map.of(), 0, 0, 0, 0);
    return new LoadGenerator.Row(scenario, r, Double.NaN, requests * 10_000L, round);
  }

  private static LoadGenerator.Report report(int rounds, List<LoadGenerator.Row> rows) {
    LoadGenerator.Options o = LoadGenerator.parse(new String[] {"--connections", "16", "--scenarios", "floor,exact",
        "--rounds", Integer.toString(rounds), "--out", "unused.json"});
    return new LoadGenerator.Report(o, 2, "25", "m", Double.NaN, 0, Double.NaN, rows);
  }

  @Test
  void eachRoundIsPairedWithItsOwnFloorAndTheMedianIsReported() {
    List<LoadGenerator.Row> rows = new ArrayList<>();
    // Round 2 ran in a slow spell: both sides fell, so its ratio is still about a half.
    long[][] floorExact = {{10_000, 5_200}, {4_000, 1_960}, {10_000, 4_400}};
    for (int i = 0; i < floorExact.length; i++) {
      rows.add(row("floor", i + 1, floorExact[i][0]));
      rows.add(row("exact", i + 1, floorExact[i][1]));
    }
    LoadGenerator.Report report = report(3, rows);
    JsonNode ratio = report.json().get("ratios").get(0);
    assertThat(ratio.get("exact_vs_floor_by_round")).extracting(JsonNode::asDouble).containsExactly(0.52, 0.49, 0.44);
    assertThat(ratio.get("exact_vs_floor").asDouble()).as("the median of 0.52, 0.49, 0.44").isEqualTo(0.49);
    assertThat(report.markdown()).contains("round by round: 0.52, 0.49, 0.44").contains("| exact #2 | 16 |")
        .contains("median of 3 rounds");
  }

  @Test
  void oneRoundGivesTheSingleRatio() {
    LoadGenerator.Report report = report(1, List.of(row("floor", 1, 10_000), row("exact", 1, 5_500)));
    JsonNode ratio = report.json().get("ratios").get(0);
    assertThat(ratio.get("exact_vs_floor").asDouble()).isEqualTo(0.55);
    assertThat(ratio.has("exact_vs_floor_by_round")).isFalse();
    assertThat(report.markdown()).contains("| exact | 16 |").doesNotContain("round by round");
  }

  @Test
  void roundsMustBePositive() {
    assertThatThrownBy(() -> LoadGenerator.parse(new String[] {"--rounds", "0"})).hasMessageContaining("--rounds");
  }
}
