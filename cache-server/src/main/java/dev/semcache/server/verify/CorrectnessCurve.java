package dev.semcache.server.verify;

/**
 * A belief about P(correct | similarity) for one cached entry (or, pooled, for a namespace): a logistic
 * curve {@code logit P(correct | s) = a + b (s - CENTER)} whose coefficients are normally distributed
 * with mean {@code (a, b)} and covariance {@code [[vaa, vab], [vab, vbb]]} (a Laplace approximation of
 * a Bayesian logistic regression, see {@link CurveFit}).
 *
 * <p>At a similarity {@code s} the logit is then normal with mean {@code a + b x} and variance {@code
 * vaa + 2 x vab + x^2 vbb} ({@code x = s - CENTER}), which gives one-sided bounds on P(correct) by
 * moving {@code z} standard deviations down or up on the logit scale and mapping back through the
 * sigmoid (monotone, so the bound carries over).
 *
 * <p>A posterior fitted to verdicts also carries {@code grid}: points {@code (a, b, weight)} of the
 * actual posterior, triplets in one array, weights summing to 1, which {@link #predictiveCorrect} sums
 * over. The normal approximation is poor exactly where it matters: an entry whose verdicts are all
 * correct has a posterior on its logit that is bounded below and flat above, and the symmetric normal
 * around its mode puts far too much weight on low logits (after 100 correct verdicts at 0.97, a
 * normal-approximation predictive is still only 93% correct).
 */
public record CorrectnessCurve(double a, double b, double vaa, double vab, double vbb, double[] grid) {
  /** Similarities are centred here so that intercept and slope are nearly uncorrelated in practice. */
  public static final double CENTER = 0.85;

  /** A normal belief, with no grid. */
  public CorrectnessCurve(double a, double b, double vaa, double vab, double vbb) {
    this(a, b, vaa, vab, vbb, null);
  }

  public CorrectnessCurve {
    if (!(Double.isFinite(a) && Double.isFinite(b) && vaa >= 0 && vbb >= 0 && Double.isFinite(vab))) {
      throw new IllegalArgumentException("curve coefficients must be finite, variances not negative; " + this);
    }
  }

  /** The mean logit of P(correct) at similarity {@code s}. */
  public double logitMean(double s) {
    return a + b * (s - CENTER);
  }

  /** The variance of the logit of P(correct) at similarity {@code s}. */
  public double logitVariance(double s) {
    double x = s - CENTER;
    return Math.max(0, vaa + 2 * x * vab + x * x * vbb);
  }

  /** P(correct) at {@code s} by the mean coefficients. */
  public double correct(double s) {
    return sigmoid(logitMean(s));
  }

  /** A lower bound on P(correct) at {@code s}, {@code z} standard deviations below the mean logit. */
  public double correctLower(double s, double z) {
    return sigmoid(logitMean(s) - z * Math.sqrt(logitVariance(s)));
  }

  /** An upper bound on P(correct) at {@code s}, {@code z} standard deviations above the mean logit. */
  public double correctUpper(double s, double z) {
    return sigmoid(logitMean(s) + z * Math.sqrt(logitVariance(s)));
  }

  /**
   * The probability that an answer at {@code s} is correct, averaged over the belief (the posterior
   * predictive), by the probit approximation {@code E[sigmoid(L)] ~ sigmoid(m / sqrt(1 + pi v / 8))} for
   * {@code L ~ N(m, v)} (MacKay 1992). Uncertainty pulls it towards one half, so a wide belief serves less.
   */
  public double predictiveCorrect(double s) {
    if (grid != null) {
      double x = s - CENTER;
      double p = 0;
      for (int i = 0; i < grid.length; i += 3) {
        p += grid[i + 2] * sigmoid(grid[i] + grid[i + 1] * x);
      }
      return p;
    }
    return sigmoid(logitMean(s) / Math.sqrt(1 + Math.PI * logitVariance(s) / 8));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CorrectnessCurve c && a == c.a && b == c.b && vaa == c.vaa && vab == c.vab && vbb == c.vbb
        && java.util.Arrays.equals(grid, c.grid);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(a, b, vaa, vab, vbb, java.util.Arrays.hashCode(grid));
  }

  @Override
  public String toString() {
    return "CorrectnessCurve[a=" + a + ", b=" + b + ", vaa=" + vaa + ", vab=" + vab + ", vbb=" + vbb
        + (grid == null ? "" : ", grid of " + grid.length / 3) + "]";
  }

  /** The same mean with the covariance multiplied by {@code factor} (at least 1: a wider belief). */
  public CorrectnessCurve widened(double factor) {
    return new CorrectnessCurve(a, b, vaa * factor, vab * factor, vbb * factor);
  }

  static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }

  static double logit(double p) {
    return Math.log(p / (1 - p));
  }
}
