package dev.semcache.server.audit;

import org.apache.commons.statistics.interval.BinomialConfidenceInterval;
import org.apache.commons.statistics.interval.Interval;

/**
 * A proportion estimated from a sample ({@code successes} of {@code trials}) with its two-sided
 * confidence interval. The interval is Clopper-Pearson's exact one (Apache Commons Statistics): its
 * coverage is at least the confidence level for every true proportion and sample size, where Wilson's
 * dips below it for some; an operator who is told "at most 2% false hits" should be able to rely on it.
 *
 * @param estimate successes / trials, NaN when there are no trials
 * @param lower the interval's lower bound, 0 when there are no trials
 * @param upper the interval's upper bound, 1 when there are no trials
 */
public record Proportion(long successes, long trials, double estimate, double lower, double upper, double confidence) {
  public static final double CONFIDENCE = 0.95;

  public static Proportion of(long successes, long trials) {
    return of(successes, trials, CONFIDENCE);
  }

  public static Proportion of(long successes, long trials, double confidence) {
    if (trials < 0 || successes < 0 || successes > trials) {
      throw new IllegalArgumentException("need 0 <= successes <= trials; successes=" + successes + " trials=" + trials);
    }
    if (trials == 0) {
      return new Proportion(0, 0, Double.NaN, 0, 1, confidence);
    }
    Interval i = BinomialConfidenceInterval.CLOPPER_PEARSON.fromErrorRate(
        Math.toIntExact(trials), Math.toIntExact(successes), 1 - confidence);
    return new Proportion(successes, trials, successes / (double) trials, i.getLowerBound(), i.getUpperBound(), confidence);
  }

  public boolean known() {
    return trials > 0;
  }
}
