package dev.semcache.bench;

import java.util.List;

/**
 * The counts of an accuracy run at one threshold, and the rates derived from them (bench/README.md,
 * "Accuracy", defines each).
 *
 * <ul>
 *   <li>{@code tp}: hits that served a right answer;
 *   <li>{@code fp}: hits that served a wrong one (a different meaning, another group, or any hit of a
 *       never-seen query);
 *   <li>{@code fn}: answerable queries not answered correctly from the cache (a miss, or a wrong hit);
 *   <li>{@code tn}: queries with no right answer in the cache that missed.
 * </ul>
 * A wrong hit on an answerable query counts as fp and as fn: the cache answered, wrongly, and the query
 * still was not answered correctly. So {@code tp + fp + fn + tn} exceeds the query count by those.
 *
 * @param threshold the similarity threshold
 * @param queries all queries
 * @param answerable queries for which the cache holds a right answer
 * @param hits queries answered from the cache
 * @param tp correct hits
 * @param unanswerableHits hits of queries with no right answer in the cache (all wrong)
 */
record Confusion(double threshold, long queries, long answerable, long hits, long tp, long unanswerableHits) {

  static Confusion at(double threshold, List<Outcome> outcomes) {
    long answerable = 0;
    long hits = 0;
    long tp = 0;
    long unanswerableHits = 0;
    for (Outcome o : outcomes) {
      if (o.answerable()) {
        answerable++;
      }
      if (o.hitAt(threshold)) {
        hits++;
        if (o.correctIfHit()) {
          tp++;
        }
        if (!o.answerable()) {
          unanswerableHits++;
        }
      }
    }
    return new Confusion(threshold, outcomes.size(), answerable, hits, tp, unanswerableHits);
  }

  long fp() {
    return hits - tp;
  }

  long fn() {
    return answerable - tp;
  }

  long tn() {
    return queries - answerable - unanswerableHits;
  }

  /** Hits over all queries. */
  double hitRate() {
    return ratio(hits, queries);
  }

  /** Share of the hits that served a wrong answer; NaN without hits. */
  double falseHitRate() {
    return ratio(fp(), hits);
  }

  /** Share of the hits that served a right answer: 1 - false-hit rate; NaN without hits. */
  double precision() {
    return ratio(tp, hits);
  }

  /** Share of the answerable queries answered correctly from the cache (the hit rate on same-meaning traffic). */
  double recall() {
    return ratio(tp, answerable);
  }

  /** Share of the queries with no right answer in the cache that hit anyway (always wrong). */
  double unanswerableHitRate() {
    return ratio(unanswerableHits, queries - answerable);
  }

  /** Harmonic mean of precision and recall; 0 without correct hits. */
  double f1() {
    return tp == 0 ? 0 : 2.0 * tp / (2.0 * tp + fp() + fn());
  }

  private static double ratio(long a, long b) {
    return b == 0 ? Double.NaN : a / (double) b;
  }
}
