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
    return posterior(prior, similarity, correct, weight, n, true);
  }

  /**
   * As above; {@code withGrid} false skips the grid (the normal approximation only: enough for the
   * spread between entries, and much cheaper).
   */
  public static CorrectnessCurve posterior(CorrectnessCurve prior, double[] similarity, double[] correct, double[] weight,
      int n, boolean withGrid) {
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
    double vaa = hbb / hdet;
    double vab = -hab / hdet;
    double vbb = haa / hdet;
    return new CorrectnessCurve(a, b, vaa, vab, vbb,
        withGrid ? grid(prior, paa, pab, pbb, a, b, vaa, vab, vbb, similarity, correct, weight, n) : null);
  }

  /** Grid points per axis, and how many normal-approximation standard deviations they span either side. */
  static final int GRID = 15;
  static final double GRID_SPAN = 5;

  /**
   * The posterior on a grid around its mode: {@code GRID x GRID} points spanning {@code GRID_SPAN}
   * standard deviations of the normal approximation along its principal axes (through its Cholesky
   * factor), each weighted by the exact posterior density there, normalised. The normal approximation
   * is wider than the posterior on the side that matters (low logits), so the grid covers it.
   */
  private static double[] grid(CorrectnessCurve prior, double paa, double pab, double pbb, double a, double b,
      double vaa, double vab, double vbb, double[] similarity, double[] correct, double[] weight, int n) {
    double l11 = Math.sqrt(vaa);
    double l21 = vab / l11;
    double l22 = Math.sqrt(Math.max(1e-12, vbb - l21 * l21));
    double[] out = new double[3 * GRID * GRID];
    double top = Double.NEGATIVE_INFINITY;
    int k = 0;
    for (int i = 0; i < GRID; i++) {
      double u = -GRID_SPAN + 2 * GRID_SPAN * i / (GRID - 1);
      for (int j = 0; j < GRID; j++) {
        double v = -GRID_SPAN + 2 * GRID_SPAN * j / (GRID - 1);
        double ga = a + l11 * u;
        double gb = b + l21 * u + l22 * v;
        double lp = logPosterior(prior, paa, pab, pbb, ga, gb, similarity, correct, weight, n);
        out[k] = ga;
        out[k + 1] = gb;
        out[k + 2] = lp;
        top = Math.max(top, lp);
        k += 3;
      }
    }
    double sum = 0;
    for (int i = 2; i < out.length; i += 3) {
      out[i] = Math.exp(out[i] - top);
      sum += out[i];
    }
    for (int i = 2; i < out.length; i += 3) {
      out[i] /= sum;
    }
    return out;
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
