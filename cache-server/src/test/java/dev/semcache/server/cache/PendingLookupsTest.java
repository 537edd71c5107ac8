package dev.semcache.server.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.Scope;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the security review's "memory by prompt bytes": pending misses kept whole prompts
 * and were bounded only by count (100,000), so a read key looping 1 MiB misses could hold ~100 GB, and
 * one namespace's flood pushed every other namespace's misses out.
 */
class PendingLookupsTest {
  private final AtomicLong nanos = new AtomicLong();

  private PendingLookups pending(long maxBytes, double share) {
    return new PendingLookups(maxBytes, share, Duration.ofMinutes(10), nanos::get);
  }

  private static float[] vector() {
    float[] v = new float[384];
    v[0] = 1;
    return v;
  }

  @Test
  void aHugePromptCostsNoMoreThanAShortOneAndTheStoreStillMatchesIt() {
    PendingLookups p = pending(1 << 20, 1.0);
    String huge = "word ".repeat(200_000); // 1 MB
    assertThat(p.remember("l1", "faq", Scope.EMPTY, huge, vector())).isTrue();
    assertThat(p.remember("l2", "faq", Scope.EMPTY, "short", vector())).isTrue();
    assertThat(p.bytes()).isLessThan(10_000);
    assertThat(p.vectorFor("l1", "faq", Scope.EMPTY, huge)).isPresent();
    assertThat(p.vectorFor("l1", "faq", Scope.EMPTY, huge + " more")).isEmpty();
    assertThat(p.vectorFor("l1", "other", Scope.EMPTY, huge)).isEmpty();
  }

  @Test
  void theTableIsBoundedByBytesAndOneNamespaceByItsShare() {
    long max = 1 << 20;
    PendingLookups p = pending(max, 0.25);
    for (int i = 0; i < 10_000; i++) {
      p.remember("flood" + i, "bulk", Scope.EMPTY, "prompt " + i, vector());
    }
    assertThat(p.bytes("bulk")).isLessThanOrEqualTo(max / 4);
    assertThat(p.refused()).isPositive();
    // the other namespace still has room, untouched by the flood
    for (int i = 0; i < 100; i++) {
      assertThat(p.remember("chat" + i, "chat", Scope.EMPTY, "question " + i, vector())).isTrue();
    }
    for (int i = 0; i < 100; i++) {
      assertThat(p.vectorFor("chat" + i, "chat", Scope.EMPTY, "question " + i)).isPresent();
    }
    for (int i = 0; i < 10; i++) {
      for (int n = 0; n < 10_000; n++) {
        p.remember("ns" + i + "-" + n, "ns" + i, Scope.EMPTY, "p" + n, vector());
      }
    }
    assertThat(p.bytes()).isLessThanOrEqualTo(max);
  }

  @Test
  void expiredMissesGiveTheirShareBack() {
    PendingLookups p = pending(1 << 20, 0.25);
    while (p.remember("a" + p.size(), "bulk", Scope.EMPTY, "prompt", vector())) {
      // fill the share
    }
    nanos.addAndGet(Duration.ofMinutes(11).toNanos());
    assertThat(p.remember("after", "bulk", Scope.EMPTY, "prompt", vector())).isTrue();
    assertThat(p.bytes("bulk")).isLessThan(10_000);
  }
}
