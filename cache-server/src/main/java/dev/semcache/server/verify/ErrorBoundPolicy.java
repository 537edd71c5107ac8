package dev.semcache.server.verify;

import java.util.function.DoubleSupplier;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * The serving rule of a verified namespace: serve the nearest entry only when, at this similarity, the
 * entry's curve shows P(wrong) at most {@code maxFalseHitRate} with one-sided confidence {@code
 * confidence}; where even the optimistic bound says P(wrong) is above it, miss; in between, explore
 * (with probability {@code exploreProbability}, else miss).
 *
 * @param maxFalseHitRate the bound δ on the probability that a served answer is wrong
 * @param confidence the one-sided confidence of each decision to serve, e.g. 0.95
 * @param exploreProbability how often an undecided lookup is explored rather than missed
 */
public record ErrorBoundPolicy(double maxFalseHitRate, double confidence, double exploreProbability, double z) {
  /** Each decision to serve is backed at this one-sided confidence. */
  public static final double DEFAULT_CONFIDENCE = 0.95;

  public ErrorBoundPolicy(double maxFalseHitRate, double confidence, double exploreProbability) {
    this(maxFalseHitRate, confidence, exploreProbability, checkedZ(confidence));
  }

  private static final double DEFAULT_Z = NormalDistribution.of(0, 1).inverseCumulativeProbability(DEFAULT_CONFIDENCE);

  private static double checkedZ(double confidence) {
    if (confidence == DEFAULT_CONFIDENCE) {
      return DEFAULT_Z; // a policy is made per lookup: skip the inverse normal there
    }
    if (!(confidence >= 0.5 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be at least 0.5 and below 1; confidence=" + confidence);
    }
    return NormalDistribution.of(0, 1).inverseCumulativeProbability(confidence);
  }

  public ErrorBoundPolicy {
    if (!(maxFalseHitRate > 0 && maxFalseHitRate < 1)) {
      throw new IllegalArgumentException("max_false_hit_rate must be above 0 and below 1; max_false_hit_rate="
          + maxFalseHitRate);
    }
    if (!(confidence >= 0.5 && confidence < 1)) {
      throw new IllegalArgumentException("confidence must be at least 0.5 and below 1; confidence=" + confidence);
    }
    if (!(exploreProbability >= 0 && exploreProbability <= 1)) {
      throw new IllegalArgumentException("explore probability must be between 0 and 1; exploreProbability="
          + exploreProbability);
    }
  }

  /** δ at the default confidence, every undecided lookup explored (an explore costs no extra model call). */
  public static ErrorBoundPolicy of(double maxFalseHitRate) {
    return new ErrorBoundPolicy(maxFalseHitRate, DEFAULT_CONFIDENCE, 1.0);
  }

  /** Standard deviations of the logit between the mean and the bound. */
  public double z() {
    return z;
  }

  /**
   * The decision for a lookup at {@code similarity} to an entry whose belief is {@code curve}.
   *
   * @param exploreFloor no lookup below this similarity is explored (it bounds the audit traffic)
   * @param uniform a source of uniform draws in [0, 1) for the explore probability
   */
  public Decision decide(CorrectnessCurve curve, double similarity, double exploreFloor, DoubleSupplier uniform) {
    if (1 - curve.predictiveCorrect(similarity) <= maxFalseHitRate) {
      return Decision.HIT;
    }
    if (similarity < exploreFloor || 1 - curve.correctUpper(similarity, z()) > maxFalseHitRate) {
      return Decision.MISS;
    }
    return exploreProbability >= 1 || uniform.getAsDouble() < exploreProbability ? Decision.EXPLORE : Decision.MISS;
  }
}
