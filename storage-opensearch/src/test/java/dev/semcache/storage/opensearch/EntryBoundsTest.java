package dev.semcache.storage.opensearch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The fair-share plan of a batch of evictions under a global bound, played one eviction at a time as the
 * embedded storage evicts (the cluster behaviour is in the contract test).
 */
class EntryBoundsTest {
  @Test
  void aNewcomerTakesFromTheLargestNeverFromOneWithinItsShare() {
    assertThat(EntryBounds.fairShareVictims(Map.of("chat", 3L, "bulk", 6L), "late", 4))
        .containsExactly(Map.entry("bulk", 4L));
  }

  @Test
  void aWriterAtItsShareEvictsItsOwn() {
    assertThat(EntryBounds.fairShareVictims(Map.of("a", 3L, "b", 3L, "c", 3L), "c", 1))
        .containsExactly(Map.entry("c", 1L));
    // below its share after one, the writer then takes from the largest (the first by name among equals)
    assertThat(EntryBounds.fairShareVictims(Map.of("a", 3L, "b", 3L, "c", 3L), "c", 2))
        .containsExactly(Map.entry("c", 1L), Map.entry("a", 1L));
  }

  @Test
  void aWriterBelowItsShareTakesFromTheLargestUntilItReachesIt() {
    // total 10 over 2 namespaces: the writer's share is 5; it holds 2, so "big" gives up entries
    assertThat(EntryBounds.fairShareVictims(Map.of("big", 8L, "w", 2L), "w", 3))
        .containsExactly(Map.entry("big", 3L));
  }

  @Test
  void aSweepTakesFromTheLargestAndStopsWhenNothingIsLeft() {
    assertThat(EntryBounds.fairShareVictims(Map.of("a", 5L, "b", 1L), null, 3)).containsExactly(Map.entry("a", 3L));
    assertThat(EntryBounds.fairShareVictims(Map.of("a", 1L), null, 5)).containsExactly(Map.entry("a", 1L));
    assertThat(EntryBounds.fairShareVictims(Map.of(), "w", 5)).isEmpty();
  }
}
