package dev.semcache.server.verify;

import java.util.function.DoubleSupplier;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * The serving rule of a verified namespace: serve the nearest entry only when the probability that its
 * answer is wrong for this lookup, given everything the audits have taught, is at most {@code
 * maxFalseHitRate} (δ); where even an optimistic bound says it is above δ, miss; in between, explore
 * (with probability {@code exploreProbability}, else miss): a miss for the caller that asks for a verdict.
 *
 * <h2>The method</h2>
 * One threshold per namespace treats every entry alike, but entries are not alike: an answer about a
 * topic with many close neighbours ("card arrival" beside "card delivery estimate") is wrong for a
 * paraphrase at a similarity where an isolated one is still right. So each entry carries its own belief
 * about the curve {@code P(correct | similarity)}, a logistic curve in the similarity, learned from the
 * audit verdicts of lookups that found it nearest (an idea from vCache, Schroeder et al., "vCache:
 * Verified Semantic Prompt Caching", arXiv 2502.03771, which fits such a curve per cached prompt and
 * serves when a bound on the error holds; this is our own formulation and code, not theirs):
 *
 * <ol>
 *   <li><b>Per entry, Bayesian.</b> The curve's two coefficients have a normal prior and are updated
 *       with the entry's verdicts ({@link CurveFit}: Newton's method to the posterior mode; the posterior
 *       itself evaluated on a grid, because with only correct verdicts it is one-sided and its normal
 *       approximation far too pessimistic).</li>
 *   <li><b>The prior is pooled from the namespace</b> ({@link EntryPrior}): a curve fitted to all of the
 *       namespace's verdicts, spread by how much the namespace's warm entries differ from it. A new entry
 *       therefore starts as the namespace's typical entry (the cold start: it serves at once where the
 *       namespace is safely right, it is not stuck exploring), and its own verdicts take over.</li>
 *   <li><b>The decision</b> uses the posterior predictive probability of a correct answer at this
 *       similarity (averaged over what the entry's curve may be), not a point estimate. The confidence
 *       enters through the pooled curve's own estimation error, counted z^2 times in the prior (z the
 *       one-sided normal quantile of {@code confidence}), so that what a cold entry borrows from the pool
 *       is backed at that confidence, and through the explore rule (optimistic bound, z standard
 *       deviations up).</li>
 *   <li><b>Exploring costs no model call.</b> An explore is a miss; the gateway calls the model anyway
 *       and stores the answer with the lookup id, which settles the audit (as for a near miss). The cost
 *       of learning is the hits not served while an entry is undecided; {@code threshold -
 *       near_miss_audit_band} bounds where exploring is tried.</li>
 * </ol>
 *
 * <p>What is promised: if the audit verdicts are right and the curves are logistic in the similarity,
 * the expected share of wrong answers among served semantic hits stays at most δ (tested on synthetic
 * namespaces with known curves over many seeds, in ErrorBoundPolicyTest). What is not: a judge that errs
 * (answer similarity is a heuristic, see docs/audits.md) teaches the entries its errors; and the measured
 * wrong share of served hits ({@code /analysis}) is the check of the promise on real traffic.
 *
 * <p>References: vCache (arXiv 2502.03771) for per-entry, error-bounded decisions with exploration;
 * D. J. C. MacKay, "The evidence framework applied to classification networks" (1992) for the probit
 * approximation of the predictive of a logistic model; A. Gelman et al., Bayesian Data Analysis, ch. 5
 * (hierarchical models, method-of-moments estimates of between-group spread).
 *
 * @param maxFalseHitRate the bound δ on the probability that a served answer is wrong
 * @param confidence the one-sided confidence of the pooled curve and of the explore bound, e.g. 0.95
 * @param exploreProbability how often an undecided lookup is explored rather than missed
 * @param z the standard normal quantile of {@code confidence}
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
