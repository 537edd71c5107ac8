package dev.semcache.bench;

import dev.semcache.server.verify.CorrectnessCurve;
import dev.semcache.server.verify.Decision;
import dev.semcache.server.verify.EntryEvidence;
import dev.semcache.server.verify.EntryPrior;
import dev.semcache.server.verify.ErrorBoundPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A verified namespace replayed over labelled traffic, online: each lookup is decided before its label
 * is looked at, and the label is revealed (as the audit's verdict) only for explores and for the served
 * hits sampled at {@code auditRate}, exactly what a gateway would report. Uses the server's own
 * estimator ({@code dev.semcache.server.verify}): the entry evidence, the pooled prior (refitted after
 * every {@link #PRIOR_REFIT_VERDICTS} verdicts, as the server refits after new verdicts) and the policy.
 */
final class VerifiedReplay {
  static final int PRIOR_REFIT_VERDICTS = 20;
  private static final int BINS = 200;

  private final ErrorBoundPolicy policy;
  private final double threshold;
  private final double exploreFloor;
  private final double auditRate;
  private final SplittableRandom random;
  private final Map<Integer, EntryEvidence> evidence = new HashMap<>();
  private final long[] correct = new long[BINS];
  private final long[] wrong = new long[BINS];
  private long verdicts;
  private long verdictsAtRefit = -1;
  private CorrectnessCurve prior;

  /** What one lookup got. */
  enum Outcome { SERVED, EXPLORED, MISSED }

  /** Who gives the verdicts. */
  enum Verdicts {
    /** The gateway's (the label): explores and sampled hits. */
    GATEWAY,
    /**
     * As the server does with {@code second_stage_judge}: the judge settles explores (it answers before
     * the gateway's store) and judges the served hits not sampled for audit below {@code threshold +
     * band}; the gateway's label settles the sampled hits. Judged unsampled hits teach their entry but
     * not the pooled prior (the server keeps them out of the audit counts).
     */
    GATEWAY_AND_JUDGE,
    /**
     * What the server does: as {@link #GATEWAY_AND_JUDGE}, but the judge gives a verdict only when sure
     * ({@link dev.semcache.server.judge.SecondStageJudge#verdict}); an explore it is unsure of is settled
     * by the gateway's label, an unsampled hit it is unsure of teaches nothing.
     */
    GATEWAY_AND_SURE_JUDGE,
    /** No gateway at all: the judge gives every verdict (its errors teach the entries). */
    JUDGE_ONLY
  }

  /**
   * @param threshold the namespace's static threshold: the vague prior's centre, and {@code threshold -
   *     band} is the explore floor
   */
  VerifiedReplay(double maxFalseHitRate, double threshold, double band, double auditRate, long seed) {
    this(maxFalseHitRate, threshold, band, auditRate, seed, Verdicts.GATEWAY);
  }

  VerifiedReplay(double maxFalseHitRate, double threshold, double band, double auditRate, long seed,
      Verdicts verdictSource) {
    this.verdictSource = verdictSource;
    this.judgeCeiling = threshold + band;
    this.policy = ErrorBoundPolicy.of(maxFalseHitRate);
    this.threshold = threshold;
    this.exploreFloor = threshold - band;
    this.auditRate = auditRate;
    this.random = new SplittableRandom(seed);
  }

  /**
   * Decides a lookup whose nearest entry is {@code entry} at {@code similarity}; {@code right} is the
   * label, read only if a verdict is due.
   *
   * @return what the lookup got, and whether a verdict was asked for (through {@link #lastAudited})
   */
  Outcome lookup(int entry, double similarity, boolean right) {
    return lookup(entry, similarity, right, Double.NaN);
  }

  /**
   * @param judgeProbability the second-stage judge's P(same) for this pair (read only if it judges)
   */
  Outcome lookup(int entry, double similarity, boolean right, double judgeProbability) {
    if (prior == null || verdicts - verdictsAtRefit >= PRIOR_REFIT_VERDICTS) {
      refitPrior();
    }
    EntryEvidence e = evidence.get(entry);
    Decision d = policy.decide(e == null ? prior : e.curve(prior), similarity, exploreFloor, random::nextDouble);
    boolean sampledHit = d == Decision.HIT && random.nextDouble() < auditRate;
    lastAudited = d == Decision.EXPLORE || sampledHit;
    boolean judged = verdictSource == Verdicts.JUDGE_ONLY ? lastAudited || d == Decision.HIT && similarity < judgeCeiling
        : verdictSource != Verdicts.GATEWAY
            && (d == Decision.EXPLORE || d == Decision.HIT && !sampledHit && similarity < judgeCeiling);
    Boolean sure = dev.semcache.server.judge.SecondStageJudge.verdict(judgeProbability);
    if (judged && verdictSource == Verdicts.GATEWAY_AND_SURE_JUDGE && sure == null) {
      judged = false; // unsure: an explore goes to the gateway, an unsampled hit learns nothing
      judgeAbstained++;
    }
    if (judged) {
      boolean verdict = verdictSource == Verdicts.GATEWAY_AND_SURE_JUDGE ? sure
          : judgeProbability >= dev.semcache.server.judge.SecondStageJudge.SAME_AT;
      evidence.computeIfAbsent(entry, k -> new EntryEvidence()).add(similarity, verdict);
      judgeVerdicts++;
      judgeWrong += verdict == right ? 0 : 1;
      if (lastAudited) { // an audit the judge settled: counted as the server counts it
        (verdict ? correct : wrong)[Math.min(BINS - 1, (int) Math.floor(similarity * BINS))]++;
        verdicts++;
      }
    } else if (lastAudited) {
      evidence.computeIfAbsent(entry, k -> new EntryEvidence()).add(similarity, right);
      (right ? correct : wrong)[Math.min(BINS - 1, (int) Math.floor(similarity * BINS))]++;
      verdicts++;
      gatewayVerdicts++;
    }
    return d == Decision.HIT ? Outcome.SERVED : d == Decision.EXPLORE ? Outcome.EXPLORED : Outcome.MISSED;
  }

  private final Verdicts verdictSource;
  private final double judgeCeiling;
  private long gatewayVerdicts;
  private long judgeVerdicts;
  private long judgeWrong;
  private long judgeAbstained;

  /** Pairs the judge was asked about and was unsure of (only when it may abstain). */
  long judgeAbstained() {
    return judgeAbstained;
  }

  /** Verdicts the gateway gave (its labels). */
  long gatewayVerdicts() {
    return gatewayVerdicts;
  }

  /** Verdicts the judge gave, and how many of them were wrong. */
  long judgeVerdicts() {
    return judgeVerdicts;
  }

  long judgeWrong() {
    return judgeWrong;
  }

  boolean lastAudited;

  private void refitPrior() {
    double delta = policy.maxFalseHitRate();
    CorrectnessCurve pooled = EntryPrior.pooled(correct, wrong, threshold, delta);
    List<EntryEvidence> warm = new ArrayList<>();
    for (EntryEvidence e : evidence.values()) {
      if (e.size() >= EntryPrior.WARM_VERDICTS && warm.size() < 500) {
        warm.add(e);
      }
    }
    prior = EntryPrior.of(pooled, EntryPrior.between(pooled, warm), policy.z(), verdicts);
    verdictsAtRefit = verdicts;
  }

  long verdicts() {
    return verdicts;
  }
}
