package dev.semcache.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * The accuracy of one dataset under one model at every threshold of the grid 0.500, 0.505, ..., 1.000
 * (the grid of {@code ThresholdCurve}, the server's own what-if curve).
 */
record AccuracyCurve(String dataset, String model, List<Confusion> points) {
  static final int STEPS = 100; // (1.0 - 0.5) / 0.005
  static final List<Double> TARGETS = List.of(0.01, 0.02, 0.05);

  static AccuracyCurve of(String dataset, String model, List<Outcome> outcomes) {
    List<Confusion> points = new ArrayList<>(STEPS + 1);
    for (int i = 0; i <= STEPS; i++) {
      points.add(Confusion.at(threshold(i), outcomes));
    }
    return new AccuracyCurve(dataset, model, List.copyOf(points));
  }

  /** The i-th threshold of the grid, rounded to three decimals so that it prints and compares exactly. */
  static double threshold(int i) {
    return Math.round((0.5 + i * 0.005) * 1000) / 1000.0;
  }

  /**
   * The lowest threshold of the grid (so the most hits) whose false-hit rate is at or under {@code target}
   * (a point estimate: the share of this run's hits that were wrong), or null if none is.
   */
  Confusion lowestMeeting(double target) {
    for (Confusion c : points) {
      if (c.hits() > 0 && c.falseHitRate() <= target) {
        return c;
      }
    }
    return null;
  }

  Confusion at(double threshold) {
    return points.stream().filter(c -> Math.abs(c.threshold() - threshold) < 1e-9).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("threshold is not on the 0.005 grid; threshold=" + threshold));
  }
}
