package dev.semcache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.semcache.bench.SizingFigures.Figure;
import dev.semcache.bench.SizingFigures.SearchCurve;
import dev.semcache.bench.SizingFigures.SearchCurve.Point;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The sizing arithmetic against hand computations over round figures. */
class SizingCalculatorTest {
  private static Figure f(double v) {
    return new Figure(v, "", "test");
  }

  /** Round figures: a search of 10k entries costs 1 ms, of 1M entries 4 ms (so 2 ms at 100k in log-log). */
  static final SizingFigures FIGURES = new SizingFigures(
      f(100e-6), // exact hit
      f(10e-3), // embedded lookup
      new SearchCurve(List.of(new Point(10_000, 1e-3), new Point(1_000_000, 4e-3)), "test"),
      f(1e-3), // store
      f(100e6), // heap fixed
      f(100), // heap per entry
      f(2_000), // pending miss
      f(400), // remembered lookup
      f(5_000), // disk per entry
      f(100), // payload in that measurement
      f(2_000), // index per entry
      f(64e6), // block cache
      f(100e6), // model
      "test machine");

  @Test
  void coresHeapOffHeapAndDiskMatchTheHandComputation() {
    // 100 lookups/s, 40% hits of which half exact: 20 exact, 20 semantic, 60 misses per second.
    SizingPlan p = SizingCalculator.plan(FIGURES, new SizingTarget(100, 100_000, 0.4, 0.5, 1, 1_100, 0.7));

    assertThat(p.searchS()).isCloseTo(2e-3, within(1e-9));
    assertThat(p.embeddedLookupS()).isCloseTo(12e-3, within(1e-9));
    assertThat(p.exactCpu()).isCloseTo(20 * 100e-6, within(1e-9)); // 0.002
    assertThat(p.semanticCpu()).isCloseTo(20 * 12e-3, within(1e-9)); // 0.24
    assertThat(p.missCpu()).isCloseTo(60 * 12e-3, within(1e-9)); // 0.72
    assertThat(p.storeCpu()).isCloseTo(60 * (1e-3 + 100e-6), within(1e-9)); // 0.066
    assertThat(p.cpuPerSecond()).isCloseTo(1.028, within(1e-9));
    assertThat(p.cores()).isEqualTo(2); // 1.028 / 0.7 = 1.47

    assertThat(p.pendingLookups()).isEqualTo(36_000); // 60/s x 600 s
    assertThat(p.rememberedLookups()).isEqualTo(262_144); // 100/s x 3,600 s is more than the slots
    double live = 100e6 + 100_000 * 100 + 36_000 * 2_000 + 262_144 * 400 + 262_144 * 4;
    assertThat(p.heapLiveBytes()).isCloseTo(live, within(1e-3)); // 287,906,176
    assertThat(p.heapMaxBytes()).isEqualTo(3L * (256 << 20)); // 2 x live = 576 MB, rounded up to 768 MiB

    assertThat(p.offHeapBytes()).isCloseTo(64e6 + 100_000 * 2_000 + 100e6, within(1e-3));
    assertThat(p.diskBytesPerEntry()).isCloseTo(5_000 + 1_000, within(1e-9)); // 1,000 payload bytes beyond the measured 100
    assertThat(p.diskBytes()).isCloseTo(100_000 * 6_000 * 1.5, within(1e-3));
  }

  @Test
  void allExactHitsNeedNoEmbeddingAndOneCore() {
    SizingPlan p = SizingCalculator.plan(FIGURES, new SizingTarget(5_000, 1_000_000, 1, 1, 1, 100, 0.7));

    assertThat(p.semanticCpu() + p.missCpu() + p.storeCpu()).isZero();
    assertThat(p.cpuPerSecond()).isCloseTo(0.5, within(1e-9)); // 5,000 x 100 us
    assertThat(p.cores()).isEqualTo(1);
    assertThat(p.pendingLookups()).isZero();
    assertThat(p.diskBytesPerEntry()).isEqualTo(5_000); // the payload is no larger than the measured one
  }

  @Test
  void searchIsClampedBelowTheSmallestPointAndExtrapolatedAboveTheLargest() {
    SearchCurve c = FIGURES.search();
    assertThat(c.secondsAt(100)).isEqualTo(1e-3);
    assertThat(c.secondsAt(10_000)).isCloseTo(1e-3, within(1e-12));
    assertThat(c.secondsAt(1_000_000)).isCloseTo(4e-3, within(1e-12));
    assertThat(c.secondsAt(100_000_000)).isCloseTo(16e-3, within(1e-9));
  }

  @Test
  void badTargetsAreRefusedNamingTheValue() {
    assertThatThrownBy(() -> new SizingTarget(100, 1_000, 1.4, 0.5, 1, 100, 0.7))
        .hasMessage("the hit rate must be between 0 and 1; hitRate=1.4");
    assertThatThrownBy(() -> new SizingTarget(0, 1_000, 0.5, 0.5, 1, 100, 0.7))
        .hasMessage("lookups per second must be positive; lookupsPerSecond=0.0");
    assertThatThrownBy(() -> new SearchCurve(List.of(new Point(10, 1), new Point(5, 2)), "x"))
        .hasMessageStartingWith("search curve points must grow in entries");
  }
}
