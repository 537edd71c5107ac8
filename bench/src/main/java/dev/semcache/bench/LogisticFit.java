package dev.semcache.bench;

/**
 * A logistic regression fitted by Newton's method (iteratively reweighted least squares) with a small
 * ridge penalty, on standardised features; the result is given back on the raw features. Small enough
 * for a handful of features and some ten thousand rows; no library needed.
 *
 * @param intercept on the raw features
 * @param coefficients on the raw features
 */
record LogisticFit(double intercept, double[] coefficients) {
  static final double RIDGE = 1e-3;

  static LogisticFit fit(double[][] x, boolean[] y) {
    int n = x.length;
    int d = x[0].length;
    double[] mean = new double[d];
    double[] sd = new double[d];
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        mean[j] += row[j] / n;
      }
    }
    for (double[] row : x) {
      for (int j = 0; j < d; j++) {
        sd[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / n;
      }
    }
    for (int j = 0; j < d; j++) {
      sd[j] = sd[j] > 1e-12 ? Math.sqrt(sd[j]) : 1;
    }
    int p = d + 1;
    double[] w = new double[p]; // w[0] intercept, standardised scale
    for (int iter = 0; iter < 50; iter++) {
      double[] grad = new double[p];
      double[][] hess = new double[p][p];
      double[] z = new double[p];
      for (int i = 0; i < n; i++) {
        z[0] = 1;
        for (int j = 0; j < d; j++) {
          z[j + 1] = (x[i][j] - mean[j]) / sd[j];
        }
        double eta = 0;
        for (int j = 0; j < p; j++) {
          eta += w[j] * z[j];
        }
        double mu = 1 / (1 + Math.exp(-eta));
        double r = (y[i] ? 1 : 0) - mu;
        double v = Math.max(mu * (1 - mu), 1e-12);
        for (int j = 0; j < p; j++) {
          grad[j] += r * z[j];
          for (int k = 0; k <= j; k++) {
            hess[j][k] += v * z[j] * z[k];
          }
        }
      }
      for (int j = 0; j < p; j++) {
        for (int k = 0; k < j; k++) {
          hess[k][j] = hess[j][k];
        }
        if (j > 0) {
          grad[j] -= RIDGE * n * w[j];
          hess[j][j] += RIDGE * n;
        }
      }
      double[] step = solve(hess, grad);
      double change = 0;
      for (int j = 0; j < p; j++) {
        w[j] += step[j];
        change = Math.max(change, Math.abs(step[j]));
      }
      if (change < 1e-9) {
        break;
      }
    }
    double[] raw = new double[d];
    double b = w[0];
    for (int j = 0; j < d; j++) {
      raw[j] = w[j + 1] / sd[j];
      b -= raw[j] * mean[j];
    }
    return new LogisticFit(b, raw);
  }

  double probability(double[] features) {
    double z = intercept;
    for (int j = 0; j < coefficients.length; j++) {
      z += coefficients[j] * features[j];
    }
    return 1 / (1 + Math.exp(-z));
  }

  /** Gaussian elimination with partial pivoting; a is changed. */
  private static double[] solve(double[][] a, double[] b) {
    int n = b.length;
    double[][] m = new double[n][];
    double[] r = b.clone();
    for (int i = 0; i < n; i++) {
      m[i] = a[i].clone();
    }
    for (int c = 0; c < n; c++) {
      int piv = c;
      for (int i = c + 1; i < n; i++) {
        if (Math.abs(m[i][c]) > Math.abs(m[piv][c])) {
          piv = i;
        }
      }
      double[] t = m[c];
      m[c] = m[piv];
      m[piv] = t;
      double tr = r[c];
      r[c] = r[piv];
      r[piv] = tr;
      for (int i = c + 1; i < n; i++) {
        double f = m[i][c] / m[c][c];
        r[i] -= f * r[c];
        for (int k = c; k < n; k++) {
          m[i][k] -= f * m[c][k];
        }
      }
    }
    double[] out = new double[n];
    for (int i = n - 1; i >= 0; i--) {
      double s = r[i];
      for (int k = i + 1; k < n; k++) {
        s -= m[i][k] * out[k];
      }
      out[i] = s / m[i][i];
    }
    return out;
  }
}
