package dev.semcache.server.verify;

import java.util.Collection;

/**
 * The belief a new entry starts from, pooled from its namespace: a two-level (hierarchical) model in
 * which each entry's coefficients are drawn around the namespace's curve.
 *
 * <ul>
 *   <li><b>The namespace's curve</b> ({@link #pooled}): a logistic fit to all of the namespace's audit
 *       verdicts, every entry's, from the vague curve. Its own estimation error shrinks with the number
 *       of verdicts; it enters the prior multiplied by z squared, so that the hits a cold entry gets from
 *       the pool are backed at the policy's confidence, not only on average.</li>
 *   <li><b>How much entries differ</b> ({@link #between}): the spread of the warm entries' own fits
 *       around the pool (method of moments: the covariance of their fitted coefficients less the mean of
 *       their fits' own covariances), never below {@link #MIN_SD_INTERCEPT} and {@link #MIN_SD_SLOPE};
 *       {@link #DEFAULT_SD_INTERCEPT} and {@link #DEFAULT_SD_SLOPE} while fewer than {@link
 *       #MIN_WARM_ENTRIES} entries have {@link #WARM_VERDICTS} verdicts of their own: until the
 *       namespace shows that its entries differ, they are taken to be alike, so that one lucky verdict
 *       does not lift an entry far above its namespace (measured on GPTCache's fixture, where a wide
 *       default let entries taught by their own paraphrase serve other rows' questions).</li>
 * </ul>
 *
 * <p>An entry's prior is then normal with the pool's mean and the sum of the two covariances. A new
 * entry serves where the namespace's typical entry is safely right, allowing for how unlike the typical
 * one it may be; its own verdicts take over as they come.
 */
public final class EntryPrior {
  /** Verdicts of its own after which an entry counts as warm (and tells how entries differ). */
  public static final int WARM_VERDICTS = 8;
  static final int MIN_WARM_ENTRIES = 5;
  static final double DEFAULT_SD_INTERCEPT = 0.75;
  static final double DEFAULT_SD_SLOPE = 10;
  static final double MIN_SD_INTERCEPT = 0.5;
  static final double MIN_SD_SLOPE = 5;
  /** Slope of the vague curve: P(correct) goes from about 12% to 98% over 0.1 of similarity. */
  static final double VAGUE_SLOPE = 60;
  static final double VAGUE_SD_INTERCEPT = 2;
  static final double VAGUE_SD_SLOPE = 40;

  private EntryPrior() {}

  /**
   * The curve before any verdict: even odds at the namespace's static threshold (nothing has checked it),
   * rising with slope 60, with a standard deviation of 2 on the logit there and 40 on the slope. With it alone a fresh namespace explores
   * around and above its threshold rather than trusting a threshold that nothing has checked.
   */
  public static CorrectnessCurve vague(double threshold, double maxFalseHitRate) {
    double b = VAGUE_SLOPE;
    double a = -b * (threshold - CorrectnessCurve.CENTER); // even odds at the threshold
    double x = threshold - CorrectnessCurve.CENTER; // the intercept's uncertainty is set at the threshold
    double vbb = VAGUE_SD_SLOPE * VAGUE_SD_SLOPE;
    return new CorrectnessCurve(a, b, VAGUE_SD_INTERCEPT * VAGUE_SD_INTERCEPT + x * x * vbb, -x * vbb, vbb);
  }

  /**
   * The namespace's curve from verdict counts on a similarity grid.
   *
   * @param correct verdicts judged correct per bin (bin {@code i} of {@code n} covers {@code [i/n, (i+1)/n)})
   * @param falseHits verdicts judged false hits per bin
   */
  public static CorrectnessCurve pooled(long[] correct, long[] falseHits, double threshold, double maxFalseHitRate) {
    int bins = correct.length;
    double[] s = new double[2 * bins];
    double[] y = new double[2 * bins];
    double[] w = new double[2 * bins];
    int n = 0;
    for (int i = 0; i < bins; i++) {
      double centre = (i + 0.5) / bins;
      if (correct[i] > 0) {
        s[n] = centre;
        y[n] = 1;
        w[n++] = correct[i];
      }
      if (falseHits[i] > 0) {
        s[n] = centre;
        y[n] = 0;
        w[n++] = falseHits[i];
      }
    }
    return CurveFit.posterior(vague(threshold, maxFalseHitRate), s, y, w, n);
  }

  /**
   * The spread of entries around the pool, as a covariance of (intercept, slope); see the class comment.
   * Entries with fewer than {@link #WARM_VERDICTS} verdicts are skipped.
   */
  public static CorrectnessCurve between(CorrectnessCurve pooled, Collection<EntryEvidence> entries) {
    CorrectnessCurve wide = new CorrectnessCurve(pooled.a(), pooled.b(), 9, 0, 3600);
    int k = 0;
    double ma = 0;
    double mb = 0;
    double saa = 0;
    double sab = 0;
    double sbb = 0;
    double caa = 0;
    double cab = 0;
    double cbb = 0;
    java.util.List<CorrectnessCurve> fits = new java.util.ArrayList<>();
    for (EntryEvidence e : entries) {
      if (e.size() >= WARM_VERDICTS) {
        fits.add(e.summary(wide));
      }
    }
    if (fits.size() < MIN_WARM_ENTRIES) {
      return new CorrectnessCurve(0, 0, DEFAULT_SD_INTERCEPT * DEFAULT_SD_INTERCEPT, 0,
          DEFAULT_SD_SLOPE * DEFAULT_SD_SLOPE);
    }
    for (CorrectnessCurve f : fits) {
      ma += f.a();
      mb += f.b();
      k++;
    }
    ma /= k;
    mb /= k;
    for (CorrectnessCurve f : fits) {
      saa += (f.a() - ma) * (f.a() - ma);
      sab += (f.a() - ma) * (f.b() - mb);
      sbb += (f.b() - mb) * (f.b() - mb);
      caa += f.vaa();
      cab += f.vab();
      cbb += f.vbb();
    }
    double vaa = Math.max(MIN_SD_INTERCEPT * MIN_SD_INTERCEPT, saa / (k - 1) - caa / k);
    double vbb = Math.max(MIN_SD_SLOPE * MIN_SD_SLOPE, sbb / (k - 1) - cbb / k);
    double limit = 0.9 * Math.sqrt(vaa * vbb); // keep it positive definite
    double vab = Math.max(-limit, Math.min(limit, sab / (k - 1) - cab / k));
    return new CorrectnessCurve(0, 0, vaa, vab, vbb);
  }

  /**
   * An entry's prior: coefficients spread by {@code between} around a mean chosen so that, averaged over
   * that spread, the curve is the pool's again; covariance z^2 times the pool's plus {@code between}.
   *
   * <p>Why the mean moves: the pooled fit describes a random entry, so it is already flatter than a
   * single entry's curve (a mixture of steep curves at different places is a gentle one). Putting the
   * spread around it unchanged would flatten it twice and make a new entry far more cautious than its
   * namespace's record warrants. With {@code L ~ N(m, v)}, {@code E[sigmoid(L)] ~ sigmoid(m / k)} with
   * {@code k = sqrt(1 + pi v / 8)}; so the mean logit at {@code s} is the pool's times {@code k(s)},
   * fitted by a line over similarities 0.75 to 1.
   *
   * <p>Without any verdict the pool is the vague curve, no mixture of anything: it is kept as it is.
   *
   * @param z the policy's standard deviations for its confidence ({@link ErrorBoundPolicy#z()})
   * @param verdicts how many verdicts the pool was fitted to
   */
  public static CorrectnessCurve of(CorrectnessCurve pooled, CorrectnessCurve between, double z, long verdicts) {
    double z2 = z * z;
    if (verdicts == 0) {
      return new CorrectnessCurve(pooled.a(), pooled.b(), z2 * pooled.vaa() + between.vaa(),
          z2 * pooled.vab() + between.vab(), z2 * pooled.vbb() + between.vbb());
    }
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    int n = 0;
    for (double s = 0.75; s <= 1.0001; s += 0.01) {
      double x = s - CorrectnessCurve.CENTER;
      double y = pooled.logitMean(s) * Math.sqrt(1 + Math.PI * between.logitVariance(s) / 8);
      sx += x;
      sy += y;
      sxx += x * x;
      sxy += x * y;
      n++;
    }
    double b = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    double a = (sy - b * sx) / n;
    return new CorrectnessCurve(a, b, z2 * pooled.vaa() + between.vaa(), z2 * pooled.vab() + between.vab(),
        z2 * pooled.vbb() + between.vbb());
  }
}
