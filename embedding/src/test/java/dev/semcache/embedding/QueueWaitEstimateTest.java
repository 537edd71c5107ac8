package dev.semcache.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The expected queue wait that max_wait shedding compares with its bound (issue 14's 10.9 s answers). */
class QueueWaitEstimateTest {
  private static final long MS = 1_000_000;

  @Test
  void withoutObservedWaitsTheEstimateIsTextsAheadTimesInferenceTimeOverWorkers() {
    QueueWaitEstimate e = new QueueWaitEstimate(2, 5 * MS);
    assertThat(e.waitNanos(100)).isEqualTo(250 * MS);
    for (int i = 0; i < 200; i++) {
      e.inferred(10 * MS);
    }
    assertThat(e.perTextNanos()).isCloseTo(10.0 * MS, within(0.01 * MS));
    assertThat(e.waitNanos(100)).isCloseTo(500 * MS, within(1 * MS));
    assertThat(e.waitNanos(0)).isZero();
  }

  /**
   * The regression: inferences of 10 ms on 2 workers predict 50 ms for 10 texts ahead, but the queue really
   * drained at 40 ms per text per worker (a crowded machine). The estimate must follow what the queue did,
   * or shedding comes too late.
   */
  @Test
  void aQueueThatDrainsSlowerThanItsInferencesRaisesTheEstimateToWhatItReallyTook() {
    QueueWaitEstimate e = new QueueWaitEstimate(2, 10 * MS);
    for (int i = 0; i < 200; i++) {
      e.inferred(10 * MS);
      e.waited(10, 200 * MS); // 10 ahead, waited 200 ms: 40 ms per text per worker
    }
    assertThat(e.perTextNanos()).isCloseTo(40.0 * MS, within(0.1 * MS));
    assertThat(e.waitNanos(100)).as("100 texts ahead on 2 workers").isCloseTo(2_000 * MS, within(5 * MS));
  }

  @Test
  void aQueueThatDrainsFasterThanItsInferencesKeepsTheInferenceEstimate() {
    QueueWaitEstimate e = new QueueWaitEstimate(2, 20 * MS);
    for (int i = 0; i < 200; i++) {
      e.waited(10, 10 * MS);
    }
    assertThat(e.perTextNanos()).isEqualTo(20.0 * MS);
  }

  @Test
  void theDrainAverageComesBackDownOnceRequestsFindAnIdleWorker() {
    QueueWaitEstimate e = new QueueWaitEstimate(2, 10 * MS);
    for (int i = 0; i < 100; i++) {
      e.waited(5, 500 * MS); // a slow spell: 200 ms per text
    }
    assertThat(e.perTextNanos()).isGreaterThan(150.0 * MS);
    for (int i = 0; i < 60; i++) {
      e.waited(0, 0); // no backlog any more
    }
    assertThat(e.perTextNanos()).isLessThan(11.0 * MS);
  }

  @Test
  void workersMustBePositive() {
    assertThatThrownBy(() -> new QueueWaitEstimate(0, MS)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("workers must be positive; workers=0");
  }
}
