package dev.semcache.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semcache.embedding.EmbedderOverloadedException;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.ManualClock;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The audit core on real storage, with the answer comparison replaced to make it refuse on demand. */
class AnalyticsTest {
  @TempDir
  Path dir;

  @Test
  void anAuditRefusedForOverloadIsNotRecordedAndMayBeRetried() {
    ManualClock clock = new ManualClock();
    AtomicInteger calls = new AtomicInteger();
    Analytics.AnswerSimilarity busyOnce = (a, b) -> {
      if (calls.incrementAndGet() == 1) {
        throw new EmbedderOverloadedException("queue full");
      }
      return CompletableFuture.completedFuture(0.2);
    };
    NamespaceConfig config = NamespaceConfig.defaults().withAudits(1.0, 0.9, 0.1);
    try (CacheStorage storage = EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), clock);
        Analytics analytics = new Analytics(storage, clock, Analytics.Settings.defaults(), busyOnce)) {
      float[] v = new float[384];
      v[0] = 1;
      Entry e = storage.store("faq", Scope.EMPTY, "How do I reset my password?", "cached answer", v, null, Map.of());
      String id = Analytics.newLookupId(clock.millis());
      assertThat(analytics.semanticLookup("faq", config, id, 0.9, "How can I reset my password?", e, 0.95, true)).isTrue();

      assertThatThrownBy(() -> analytics.audit("faq", config, id, "a different answer", null, false))
          .isInstanceOf(EmbedderOverloadedException.class);
      assertThat(analytics.counts("faq").audited()).isZero();
      AuditRecord r = analytics.audit("faq", config, id, "a different answer", null, false).join();
      assertThat(r.verdict()).isEqualTo("false_hit");
      assertThat(r.answerSimilarity()).isEqualTo(0.2);
      assertThat(analytics.counts("faq").audited()).isEqualTo(1);
    }
  }

  @Test
  void lookupIdsCarryTheirTimeAndDoNotRepeatAcrossRandomBlocks() {
    long now = 1_764_000_000_123L;
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 5_000; i++) { // 50 blocks of the per-thread random buffer
      String id = Analytics.newLookupId(now + i);
      assertThat(id).matches("l[0-9a-f]{32}");
      assertThat(Analytics.lookupTime(id)).isEqualTo(now + i);
      assertThat(id.substring(1, 13)).isEqualTo(java.util.HexFormat.of().toHexDigits(now + i).substring(4));
      assertThat(seen.add(id.substring(13))).as("random part of id %d", i).isTrue();
    }
  }
}
