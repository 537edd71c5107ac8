package dev.semcache.server.audit;

import java.util.ArrayList;
import java.util.List;

/**
 * The what-if curve: for every threshold on a grid, the share of lookups that would hit and the
 * false-hit rate those hits would have, with its interval, and the recommended threshold.
 *
 * <h2>How it is estimated</h2>
 * A lookup on the semantic path records the similarity of its nearest entry whether it hit or not, so
 * the hits at another threshold {@code t} are the exact hits plus the lookups whose nearest entry is at
 * {@code t} or above. Audits judge the nearest entry of a uniform random sample of those lookups (hits,
 * and near misses down to the {@code audit floor}), so the verdicts at {@code t} or above are a uniform
 * sample of the would-be hits at {@code t}, and their false share estimates the false-hit rate there.
 * Below the audit floor nothing was sampled: the estimate would describe only the lookups above it, so
 * those thresholds are marked not covered and never recommended.
 *
 * <p>The recommended threshold is the one with the most hits (the lowest) whose interval's upper bound
 * stays at or under the target false-hit rate. The calibrate command feeds the same curve from a
 * labelled pairs file: every pair is a lookup, and its label is its verdict.
 *
 * <p>What it cannot see: with another threshold, other prompts would have been stored (a hit is not
 * stored again), so the nearest entries themselves would differ a little.
 */
public final class ThresholdCurve {
  /** Grid of the curve: 0.500, 0.505, ..., 1.000. */
  public static final double LOW = 0.5;
  public static final int LOW_BIN = (int) Math.round(LOW * SimilarityHistogram.BINS);

  /**
   * One threshold of the curve.
   *
   * @param hits lookups that would hit (exact hits included)
   * @param hitRate hits over lookups
   * @param falseHits audited would-be hits judged false at this threshold or above
   * @param rate their share of the audited, with its interval
   * @param covered whether audits were sampled at this threshold (at or above the audit floor)
   */
  public record Point(double threshold, long hits, double hitRate, Proportion rate, boolean covered) {}

  /** The curve and its recommendation ({@code recommended} is NaN when no threshold qualifies). */
  public record Result(List<Point> points, double recommended, String why) {}

  private ThresholdCurve() {}

  /**
   * @param lookups all lookups
   * @param exactHits lookups answered by the exact path (hits at any threshold)
   * @param nearest similarity of the nearest entry of every semantic-path lookup that had one
   * @param correct audited nearest entries judged correct, by similarity
   * @param falseHits audited nearest entries judged false, by similarity
   * @param auditFloor lowest similarity at which audits were sampled (NaN if never)
   * @param target the false-hit rate the operator accepts
   */
  public static Result compute(long lookups, long exactHits, long[] nearest, long[] correct, long[] falseHits,
      double auditFloor, double target) {
    List<Point> points = new ArrayList<>();
    double recommended = Double.NaN;
    for (int bin = SimilarityHistogram.BINS; bin >= LOW_BIN; bin--) {
      // walk down from 1.0 so that sums accumulate; reversed below
      double t = bin / (double) SimilarityHistogram.BINS;
      long hits = exactHits + SimilarityHistogram.sumFrom(nearest, bin);
      long bad = SimilarityHistogram.sumFrom(falseHits, bin);
      long judged = bad + SimilarityHistogram.sumFrom(correct, bin);
      boolean covered = !Double.isNaN(auditFloor) && t >= auditFloor - 1e-9;
      Proportion rate = Proportion.of(bad, judged);
      points.add(new Point(round(t), hits, lookups == 0 ? 0 : hits / (double) lookups, rate, covered));
      if (covered && rate.known() && rate.upper() <= target) {
        recommended = round(t);
      }
    }
    java.util.Collections.reverse(points);
    String why = why(recommended, points, target, auditFloor);
    return new Result(List.copyOf(points), recommended, why);
  }

  private static String why(double recommended, List<Point> points, double target, double floor) {
    String pct = percent(target);
    if (Double.isNaN(floor)) {
      return "No audits have been sampled yet: set audit_rate above 0 and post the fresh answers of lookups"
          + " answered audit: true to /v1/audits/{lookup_id}.";
    }
    if (Double.isNaN(recommended)) {
      long audited = points.get(points.size() - 1).rate().trials();
      for (Point p : points) {
        if (p.covered()) {
          audited = Math.max(audited, p.rate().trials());
        }
      }
      return "No threshold down to " + round(Math.max(floor, LOW)) + " has a false-hit rate whose 95% upper bound is at"
          + " or under " + pct + " yet (" + audited + " audits at most per threshold; with no false hits at all, "
          + auditsNeeded(target) + " are needed). Keep auditing.";
    }
    Point p = points.stream().filter(x -> x.threshold() == recommended).findFirst().orElseThrow();
    return String.format(java.util.Locale.ROOT,
        "%.3f is the lowest threshold whose false-hit rate is at or under %s with 95%% confidence (%d false of %d audited,"
            + " upper bound %s); it would answer %s of lookups from the cache.",
        recommended, pct, p.rate().successes(), p.rate().trials(), percent(p.rate().upper()), percent(p.hitRate()));
  }

  /**
   * Audits without a single false hit that bring the Clopper-Pearson 95% upper bound to {@code target}:
   * the bound of 0 in n is {@code 1 - 0.025^(1/n)}.
   */
  static long auditsNeeded(double target) {
    return (long) Math.ceil(Math.log(0.025) / Math.log(1 - target) - 1e-9);
  }

  static String percent(double x) {
    return String.format(java.util.Locale.ROOT, "%.1f%%", 100 * x);
  }

  static double round(double t) {
    return Math.round(t * 1000) / 1000.0;
  }
}
