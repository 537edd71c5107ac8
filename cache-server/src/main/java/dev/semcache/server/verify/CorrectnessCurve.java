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
 */
public record CorrectnessCurve(double a, double b, double vaa, double vab, double vbb) {
  /** Similarities are centred here so that intercept and slope are nearly uncorrelated in practice. */
  public static final double CENTER = 0.85;

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
    return sigmoid(logitMean(s) / Math.sqrt(1 + Math.PI * logitVariance(s) / 8));
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
