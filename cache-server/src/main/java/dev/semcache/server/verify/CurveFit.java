package dev.semcache.server.verify;

/**
 * Bayesian logistic regression of correctness on similarity, with a normal prior, by Newton's method
 * to the posterior mode and a Laplace approximation of the posterior around it.
 *
 * <p>With prior {@code N(mu, S)} and weighted observations {@code (s_i, y_i, w_i)} (y = 1 correct), the
 * log posterior is {@code sum w_i [y_i log p_i + (1 - y_i) log(1 - p_i)] - (theta - mu)' S^-1 (theta - mu) / 2}
 * with {@code p_i = sigmoid(a + b x_i)}. It is concave, so Newton converges from the prior mean; the
 * negative Hessian at the mode, {@code S^-1 + sum w_i p_i (1 - p_i) x_i x_i'}, is the posterior precision.
 * Two coefficients make every step a closed-form 2x2 solve. The prior also keeps the mode finite when
 * the data are separable (all correct above some similarity, the usual case for a good entry).
 */
public final class CurveFit {
  private static final int MAX_ITERATIONS = 50;

  private CurveFit() {}

  /**
   * The posterior after observing {@code n} weighted verdicts.
   *
   * @param similarity the lookups' similarities to the entry
   * @param correct 1 for a correct verdict, 0 for a false hit
   * @param weight how many verdicts each row stands for (1 for single observations, a bin count for a histogram)
   */
  public static CorrectnessCurve posterior(CorrectnessCurve prior, double[] similarity, double[] correct, double[] weight,
      int n) {
    // prior precision P = S^-1
    double det = prior.vaa() * prior.vbb() - prior.vab() * prior.vab();
    if (!(det > 0)) {
      throw new IllegalArgumentException("prior covariance must be positive definite; " + prior);
    }
    double paa = prior.vbb() / det;
    double pab = -prior.vab() / det;
    double pbb = prior.vaa() / det;
    double a = prior.a();
    double b = prior.b();
    double current = logPosterior(prior, paa, pab, pbb, a, b, similarity, correct, weight, n);
    for (int it = 0; it < MAX_ITERATIONS; it++) {
      double ga = -(paa * (a - prior.a()) + pab * (b - prior.b()));
      double gb = -(pab * (a - prior.a()) + pbb * (b - prior.b()));
      double haa = paa;
      double hab = pab;
      double hbb = pbb;
      for (int i = 0; i < n; i++) {
        double x = similarity[i] - CorrectnessCurve.CENTER;
        double p = CorrectnessCurve.sigmoid(a + b * x);
        double r = weight[i] * (correct[i] - p);
        ga += r;
        gb += r * x;
        double c = weight[i] * p * (1 - p);
        haa += c;
        hab += c * x;
        hbb += c * x * x;
      }
      double hdet = haa * hbb - hab * hab;
      double da = (hbb * ga - hab * gb) / hdet;
      double db = (haa * gb - hab * ga) / hdet;
      // damped: a full Newton step can overshoot on a logistic likelihood; halve until it climbs
      double step = 1;
      double next = logPosterior(prior, paa, pab, pbb, a + da, b + db, similarity, correct, weight, n);
      while (next < current && step > 1e-6) {
        step /= 2;
        next = logPosterior(prior, paa, pab, pbb, a + step * da, b + step * db, similarity, correct, weight, n);
      }
      a += step * da;
      b += step * db;
      current = next;
      if (Math.abs(step * da) < 1e-9 && Math.abs(step * db) < 1e-7) {
        break;
      }
    }
    // the precision at the final mode (recomputed: the loop's is one step behind)
    double haa = paa;
    double hab = pab;
    double hbb = pbb;
    for (int i = 0; i < n; i++) {
      double x = similarity[i] - CorrectnessCurve.CENTER;
      double p = CorrectnessCurve.sigmoid(a + b * x);
      double c = weight[i] * p * (1 - p);
      haa += c;
      hab += c * x;
      hbb += c * x * x;
    }
    double hdet = haa * hbb - hab * hab;
    return new CorrectnessCurve(a, b, hbb / hdet, -hab / hdet, haa / hdet);
  }

  private static double logPosterior(CorrectnessCurve prior, double paa, double pab, double pbb, double a, double b,
      double[] similarity, double[] correct, double[] weight, int n) {
    double da = a - prior.a();
    double db = b - prior.b();
    double lp = -0.5 * (paa * da * da + 2 * pab * da * db + pbb * db * db);
    for (int i = 0; i < n; i++) {
      double z = a + b * (similarity[i] - CorrectnessCurve.CENTER);
      // log sigmoid(z) = -log(1 + e^-z), computed without overflow
      double logP = -Math.log1p(Math.exp(-Math.abs(z))) + Math.min(0, z);
      double logQ = logP - z;
      lp += weight[i] * (correct[i] * logP + (1 - correct[i]) * logQ);
    }
    return lp;
  }
}
