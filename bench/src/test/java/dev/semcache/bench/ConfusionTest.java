package dev.semcache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The evaluator's arithmetic on fixtures whose similarities are forced, against counts worked out by hand. */
class ConfusionTest {

  /** Pairs mode: answerable and correct are both the label. */
  static final List<Outcome> PAIRS = List.of(
      new Outcome(0.97f, true, true),
      new Outcome(0.93f, false, false),
      new Outcome(0.86f, true, true),
      new Outcome(0.81f, false, false),
      new Outcome(0.72f, true, true),
      new Outcome(0.55f, false, false),
      new Outcome(Float.NaN, true, true)); // the cache had nothing: never a hit

  @Test
  void pairsAtThreeThresholdsMatchTheHandCount() {
    // t = 0.9: hits 0.97 (same), 0.93 (different). TP 1, FP 1, FN 3 (0.86, 0.72, NaN), TN 2 (0.81, 0.55)
    Confusion c = Confusion.at(0.9, PAIRS);
    assertThat(new long[] {c.hits(), c.tp(), c.fp(), c.fn(), c.tn()}).containsExactly(2, 1, 1, 3, 2);
    assertThat(c.falseHitRate()).isEqualTo(0.5);
    assertThat(c.precision()).isEqualTo(0.5);
    assertThat(c.recall()).isEqualTo(0.25);
    assertThat(c.f1()).isCloseTo(2 * 0.5 * 0.25 / 0.75, within(1e-12));
    assertThat(c.hitRate()).isCloseTo(2 / 7.0, within(1e-12));
    assertThat(c.unanswerableHitRate()).isCloseTo(1 / 3.0, within(1e-12));

    // t = 0.8: hits 0.97, 0.93, 0.86, 0.81. TP 2, FP 2, FN 2, TN 1
    c = Confusion.at(0.8, PAIRS);
    assertThat(new long[] {c.hits(), c.tp(), c.fp(), c.fn(), c.tn()}).containsExactly(4, 2, 2, 2, 1);

    // t = 0.5: every pair with a similarity hits. TP 3, FP 3, FN 1 (NaN), TN 0
    c = Confusion.at(0.5, PAIRS);
    assertThat(new long[] {c.hits(), c.tp(), c.fp(), c.fn(), c.tn()}).containsExactly(6, 3, 3, 1, 0);
    assertThat(c.falseHitRate()).isEqualTo(0.5);
  }

  @Test
  void aThresholdEqualToASimilarityHits() {
    assertThat(Confusion.at(0.97f, PAIRS).hits()).isEqualTo(1);
  }

  @Test
  void noHitsLeaveTheFalseHitRateUndefinedAndF1Zero() {
    Confusion c = Confusion.at(1.0, PAIRS);
    assertThat(c.hits()).isZero();
    assertThat(c.falseHitRate()).isNaN();
    assertThat(c.f1()).isZero();
  }

  @Test
  void streamWrongHitsCountAsFalseHitsAndAsUnanswered() {
    List<Outcome> stream = List.of(
        new Outcome(1f, true, true), // exact hit
        new Outcome(0.91f, true, true), // right group
        new Outcome(0.88f, true, false), // another group's entry: wrong hit
        new Outcome(0.87f, false, false), // never-seen query that hits: wrong
        new Outcome(0.62f, false, false), // never-seen query that misses at 0.85
        new Outcome(0.60f, true, true)); // right group, but below 0.85
    Confusion c = Confusion.at(0.85, stream);
    // hits 4: TP 2, FP 2 (one wrong group, one never seen); FN = answerable 4 - TP 2; TN: the one unanswerable miss
    assertThat(new long[] {c.hits(), c.tp(), c.fp(), c.fn(), c.tn()}).containsExactly(4, 2, 2, 2, 1);
    assertThat(c.recall()).isEqualTo(0.5);
    assertThat(c.unanswerableHitRate()).isEqualTo(0.5);
  }

  @Test
  void theCurveFindsTheLowestThresholdMeetingATarget() {
    AccuracyCurve curve = AccuracyCurve.of("fixture", "none", PAIRS);
    assertThat(curve.points()).hasSize(101);
    assertThat(curve.points().get(0).threshold()).isEqualTo(0.5);
    assertThat(curve.points().get(100).threshold()).isEqualTo(1.0);
    // false-hit rate 0 only where 0.97 is the single hit: thresholds 0.935 to 0.970
    assertThat(curve.lowestMeeting(0.01).threshold()).isEqualTo(0.935);
    // at or under 50%: from 0.5 up every hit set is half wrong, so the lowest grid point qualifies
    assertThat(curve.lowestMeeting(0.5).threshold()).isEqualTo(0.5);
  }

  @Test
  void exactMatchWithMissesStoredHitsOnlyRepeats() {
    QueryStream s = new QueryStream(List.of(new Labelled("How do I reset my card?", "card")),
        List.of(new Labelled("how do I reset my card?", "card"), // differs in case: a miss, then stored
            new Labelled("how do I reset my card?", "card"), // repeat: hit
            new Labelled("  How do I   reset my card? ", "card"), // same as the seed once normalised: hit
            new Labelled("what is the weather", "oos: what is the weather"), // never seen: miss, then stored
            new Labelled("what is the weather", "oos: what is the weather")), // repeat of a stored miss: right
        java.util.Set.of("card"));
    Confusion seeded = Confusion.at(1.0, ExactMatchCache.stream(s, false));
    assertThat(new long[] {seeded.hits(), seeded.tp(), seeded.fp()}).containsExactly(1, 1, 0);
    Confusion stored = Confusion.at(1.0, ExactMatchCache.stream(s, true));
    assertThat(new long[] {stored.hits(), stored.tp(), stored.fp(), stored.answerable()}).containsExactly(3, 3, 0, 4);
  }

  @Test
  void theStreamIsSeededAndSkewed() {
    List<Labelled> in = new java.util.ArrayList<>();
    for (int g = 0; g < 20; g++) {
      for (int w = 0; w < 5; w++) {
        in.add(new Labelled("group " + g + " wording " + w, "g" + g));
      }
    }
    List<Labelled> unseen = List.of(new Labelled("never", "oos: never"));
    QueryStream a = QueryStream.zipf(in, unseen, 500, 1.0, 6);
    assertThat(QueryStream.zipf(in, unseen, 500, 1.0, 6)).isEqualTo(a);
    assertThat(QueryStream.zipf(in, unseen, 500, 1.0, 7).queries()).isNotEqualTo(a.queries());
    assertThat(a.seeds()).hasSize(20).allMatch(l -> l.text().endsWith("wording 0"));
    assertThat(a.queries()).noneMatch(l -> l.text().endsWith("wording 0"));
    long top = a.queries().stream().collect(java.util.stream.Collectors.groupingBy(Labelled::group,
        java.util.stream.Collectors.counting())).values().stream().mapToLong(Long::longValue).max().orElseThrow();
    // Zipf with exponent 1 over 20 groups: the top group has 1/H(20) = 28% of the in-scope draws; uniform would be 5%
    assertThat(top).isGreaterThan(100);
    assertThat(a.distinctQueries().size()).isLessThan(a.queries().size());
  }
}
