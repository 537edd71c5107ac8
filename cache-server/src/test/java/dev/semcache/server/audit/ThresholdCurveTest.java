package dev.semcache.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ThresholdCurveTest {
  static long[] hist(double... similarities) {
    long[] h = new long[SimilarityHistogram.BINS];
    for (double s : similarities) {
      h[SimilarityHistogram.bin(s)]++;
    }
    return h;
  }

  /**
   * 10 lookups: 2 exact hits, 4 with a nearest entry (0.95, 0.92, 0.85, 0.60), 4 with none. Audits judged
   * 0.95 and 0.92 correct and 0.85 false; they were sampled down to 0.80.
   */
  @Test
  void curveAndRecommendationMatchAHandComputation() {
    ThresholdCurve.Result r = ThresholdCurve.compute(10, 2, hist(0.95, 0.92, 0.85, 0.60), hist(0.95, 0.92), hist(0.85),
        0.80, 0.9);
    assertThat(r.points()).hasSize(101);
    ThresholdCurve.Point at85 = point(r, 0.85);
    assertThat(at85.hits()).isEqualTo(5);
    assertThat(at85.hitRate()).isEqualTo(0.5);
    assertThat(at85.rate().successes()).isEqualTo(1);
    assertThat(at85.rate().trials()).isEqualTo(3);
    // Clopper-Pearson upper bound of 1 in 3 at 95%: 0.9057 (above the 0.9 target)
    assertThat(at85.rate().upper()).isCloseTo(0.9057, within(1e-4));
    ThresholdCurve.Point at855 = point(r, 0.855);
    assertThat(at855.hits()).isEqualTo(4);
    // 0 of 2: upper bound 1 - 0.025^(1/2) = 0.8419, under the target
    assertThat(at855.rate().upper()).isCloseTo(1 - Math.sqrt(0.025), within(1e-9));
    assertThat(r.recommended()).as("the lowest threshold under the target").isEqualTo(0.855);
    assertThat(point(r, 0.60).hits()).isEqualTo(6);
    assertThat(point(r, 0.60).covered()).as("below the audit floor").isFalse();
    assertThat(point(r, 0.80).covered()).isTrue();
    assertThat(point(r, 0.96).rate().known()).isFalse();
    assertThat(r.why()).contains("0.855").contains("0 false of 2 audited");
  }

  @Test
  void nothingIsRecommendedBelowTheAuditFloorOrWithoutAudits() {
    ThresholdCurve.Result none = ThresholdCurve.compute(4, 0, hist(0.95, 0.9), new long[200], new long[200], Double.NaN, 0.02);
    assertThat(none.recommended()).isNaN();
    assertThat(none.why()).contains("No audits");
    // Plenty of correct verdicts at 0.7, but sampled only from 0.9 up: 0.7 is not recommended.
    long[] many = new long[200];
    many[SimilarityHistogram.bin(0.7)] = 1000;
    many[SimilarityHistogram.bin(0.95)] = 1000;
    ThresholdCurve.Result floor = ThresholdCurve.compute(2000, 0, many, many, new long[200], 0.9, 0.02);
    assertThat(floor.recommended()).isEqualTo(0.9);
  }

  /** The interval's promise: it contains the true rate at least 95% of the time, for small and large samples. */
  @Test
  void theIntervalCoversTheTrueRateAtLeastNinetyFivePercentOfTheTime() {
    SplittableRandom random = new SplittableRandom(1);
    for (double p : new double[] {0.005, 0.02, 0.1, 0.3}) {
      for (int n : new int[] {20, 100, 500}) {
        int covered = 0;
        int trials = 2000;
        for (int t = 0; t < trials; t++) {
          int bad = 0;
          for (int i = 0; i < n; i++) {
            if (random.nextDouble() < p) {
              bad++;
            }
          }
          Proportion est = Proportion.of(bad, n);
          if (est.lower() <= p && p <= est.upper()) {
            covered++;
          }
        }
        assertThat(covered / (double) trials).as("coverage at p=%s n=%s", p, n).isGreaterThanOrEqualTo(0.94);
      }
    }
  }

  @Test
  void histogramBinsSplitExactlyAtGridThresholds() {
    assertThat(SimilarityHistogram.bin(0.9)).isEqualTo(180);
    assertThat(SimilarityHistogram.bin(0.8999)).isEqualTo(179);
    assertThat(SimilarityHistogram.bin(1.0)).isEqualTo(199);
    assertThat(SimilarityHistogram.bin(-0.3)).isZero();
    assertThat(SimilarityHistogram.firstBinAtOrAbove(0.9)).isEqualTo(180);
  }

  static ThresholdCurve.Point point(ThresholdCurve.Result r, double t) {
    return r.points().stream().filter(p -> Math.abs(p.threshold() - t) < 1e-9).findFirst().orElseThrow();
  }
}
