package dev.semcache.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The soak's level-off verdicts on series whose shape is known. */
class SoakTrendTest {
  private static final double[] MINUTES = IntStream.range(0, 241).mapToDouble(i -> i / 6.0).toArray(); // 40 min, 10 s apart

  private static SoakTrend of(java.util.function.DoubleUnaryOperator f) {
    return SoakTrend.of(MINUTES, java.util.Arrays.stream(MINUTES).map(f).toArray());
  }

  @Test
  void steadyGrowthStillGrows() {
    assertThat(of(m -> 10 + 2 * m).levelsOff()).isFalse();
    // growth that slows but keeps setting highs
    assertThat(of(m -> 10 + 20 * Math.sqrt(m)).levelsOff()).isFalse();
  }

  @Test
  void aFlatSeriesAndOneThatFillsToABoundLevelOff() {
    assertThat(of(m -> 50).levelsOff()).isTrue();
    assertThat(of(m -> Math.min(100, 10 * m)).levelsOff()).isTrue();
  }

  /**
   * A store that grows to a bound and is cut back by flushes: the last third may end on a rising tooth
   * (a positive slope), but it sets no new high.
   */
  @Test
  void aSawToothUnderABoundLevelsOff() {
    SoakTrend saw = of(m -> m < 8 ? 8 * m : 40 + 5 * ((m - 8) % 8.5));
    assertThat(saw.highRatio()).isLessThanOrEqualTo(1.05);
    assertThat(saw.levelsOff()).isTrue();
    // the same teeth on a rising floor keep setting highs
    assertThat(of(m -> 2 * m + 5 * (m % 8.5)).levelsOff()).isFalse();
  }

  /** A sample written to the CSV reads back the same; a column an older CSV lacks reads as -1. */
  @Test
  void aSampleReadsBackFromItsCsvLine() {
    SoakSample s = new SoakSample(12.5, 1, 2, 3, 4, 5, 6, 7, 8, 9);
    assertThat(SoakSample.fromCsv(SoakSample.COLUMNS, s.csv())).isEqualTo(s);
    java.util.List<String> old = SoakSample.COLUMNS.stream().filter(c -> !c.equals("held_bytes")).toList();
    assertThat(SoakSample.fromCsv(old, "12.5,1,2,4,5,6,7,8,9")).isEqualTo(new SoakSample(12.5, 1, 2, -1, 4, 5, 6, 7, 8, 9));
  }
}
