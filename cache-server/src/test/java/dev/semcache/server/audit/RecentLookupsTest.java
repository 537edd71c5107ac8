package dev.semcache.server.audit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Regression tests for the security review: remembered lookups held whole prompts and sampled answers,
 * bounded only by count (200,000 slots), and one namespace's lookups overwrote every other namespace's.
 */
class RecentLookupsTest {
  static final long WINDOW = 3_600_000;

  private static ServedLookup lookup(String ns, int i, String prompt, boolean sampled, long at) {
    String id = String.format("l%032x", (long) ns.hashCode() * 1_000_003L + i);
    return new ServedLookup(ns, id, ServedLookup.SEMANTIC, 0.95, 0.9, prompt, prompt, "e" + i,
        sampled ? prompt : null, sampled, at);
  }

  @Test
  void megabytePromptsAreBoundedByBytesAndKeptSlimBeyondThem() {
    long max = 4 << 20;
    RecentLookups r = new RecentLookups(1024, WINDOW, max, 1.0);
    String huge = "x".repeat(1 << 20);
    int slim = 0;
    for (int i = 0; i < 200; i++) {
      ServedLookup kept = r.put(lookup("faq", i, huge, true, 0), 0);
      if (kept != null && !kept.sampled()) {
        slim++;
        assertThat(kept.prompt()).hasSize(ServedLookup.SLIM_PROMPT_CHARS);
      }
    }
    assertThat(slim).isPositive();
    assertThat(r.bytes()).isLessThanOrEqualTo(max + 1024L * 600);
  }

  @Test
  void aFloodingNamespaceDoesNotTakeAnotherNamespacesRoomOrSlots() {
    RecentLookups r = new RecentLookups(4096, WINDOW, 8 << 20, 0.25);
    for (int i = 0; i < 500; i++) {
      assertThat(r.put(lookup("chat", i, "what is my balance " + i, false, 0), 0)).isNotNull();
    }
    String big = "y".repeat(64 * 1024);
    for (int i = 0; i < 5_000; i++) {
      r.put(lookup("bulk", i, big, i % 2 == 0, 0), 0);
    }
    // Free slots are anyone's; another namespace's live lookups give way only while the flood is below its share.
    int afterShareReached = chatFound(r);
    assertThat(afterShareReached).isGreaterThan(300);
    for (int i = 5_000; i < 50_000; i++) {
      r.put(lookup("bulk", i, big, i % 2 == 0, 0), 0);
    }
    assertThat(chatFound(r)).isEqualTo(afterShareReached);
    assertThat(r.bytes("bulk")).isLessThanOrEqualTo((8 << 20) / 4 + 4096L * 600);
    assertThat(r.bytes()).isLessThanOrEqualTo((8 << 20) + 4096L * 600);
  }

  private static int chatFound(RecentLookups r) {
    int found = 0;
    for (int i = 0; i < 500; i++) {
      if (r.get(lookup("chat", i, "", false, 0).lookupId(), 1) != null) {
        found++;
      }
    }
    return found;
  }

  @Test
  void lookupsOlderThanTheWindowGiveWay() {
    RecentLookups r = new RecentLookups(16, WINDOW, 1 << 20, 0.25);
    for (int i = 0; i < 16; i++) {
      r.put(lookup("chat", i, "p", false, 0), 0);
    }
    long later = WINDOW + 1;
    int kept = 0;
    for (int i = 0; i < 64; i++) {
      if (r.put(lookup("bulk", i, "p", false, later), later) != null) {
        kept++;
      }
    }
    assertThat(kept).isEqualTo(64);
  }

  /**
   * The byte and slot counts stay exact under concurrent puts from several threads, whichever namespace
   * displaces which (a same-namespace displacement updates them by difference, another by both sides).
   */
  @Test
  void countsMatchWhatIsHeldAfterConcurrentPuts() throws Exception {
    RecentLookups r = new RecentLookups(256, WINDOW, 1L << 30, 1.0);
    int threads = 4;
    int each = 20_000;
    java.util.List<Thread> running = new java.util.ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int seed = t;
      running.add(Thread.ofPlatform().start(() -> {
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = 0; i < each; i++) {
          String ns = "ns" + random.nextInt(3);
          r.put(lookup(ns, seed * each + i, "p".repeat(random.nextInt(1, 400)), false, 0), 0);
        }
      }));
    }
    for (Thread t : running) {
      t.join();
    }
    java.util.Map<String, Long> bytes = new java.util.HashMap<>();
    java.util.Map<String, Long> slots = new java.util.HashMap<>();
    for (int i = 0; i < threads * each; i++) {
      for (String ns : java.util.List.of("ns0", "ns1", "ns2")) {
        ServedLookup held = r.get(lookup(ns, i, "", false, 0).lookupId(), 0);
        if (held != null && held.namespace().equals(ns)) {
          bytes.merge(ns, held.bytes(), Long::sum);
          slots.merge(ns, 1L, Long::sum);
        }
      }
    }
    assertThat(slots.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(r.capacity());
    assertThat(r.bytes()).isEqualTo(bytes.values().stream().mapToLong(Long::longValue).sum());
    for (String ns : java.util.List.of("ns0", "ns1", "ns2")) {
      assertThat(r.bytes(ns)).as(ns).isEqualTo(bytes.getOrDefault(ns, 0L));
      assertThat(r.slots(ns)).as(ns).isEqualTo(slots.getOrDefault(ns, 0L));
    }
  }
}
