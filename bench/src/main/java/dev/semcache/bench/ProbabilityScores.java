package dev.semcache.bench;

import java.util.Arrays;
import java.util.Comparator;

/**
 * How good predicted probabilities are against labels: ROC AUC (ranking), Brier score (mean squared
 * error of the probability) and expected calibration error (10 equal-width bins: the mean |predicted -
 * observed| weighted by the bin's share).
 */
record ProbabilityScores(int n, int positives, double auc, double brier, double calibrationError) {

  static ProbabilityScores of(double[] p, boolean[] y) {
    int n = p.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingDouble(i -> p[i]));
    // AUC by ranks (ties share their mean rank)
    double rankSumPos = 0;
    int pos = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      while (j + 1 < n && p[order[j + 1]] == p[order[i]]) {
        j++;
      }
      double rank = (i + j) / 2.0 + 1;
      for (int k = i; k <= j; k++) {
        if (y[order[k]]) {
          rankSumPos += rank;
          pos++;
        }
      }
      i = j + 1;
    }
    int neg = n - pos;
    double auc = pos == 0 || neg == 0 ? Double.NaN : (rankSumPos - pos * (pos + 1) / 2.0) / ((double) pos * neg);
    double brier = 0;
    double[] sumP = new double[10];
    double[] sumY = new double[10];
    int[] count = new int[10];
    for (int i = 0; i < n; i++) {
      double t = y[i] ? 1 : 0;
      brier += (p[i] - t) * (p[i] - t) / n;
      int b = Math.min(9, (int) (p[i] * 10));
      sumP[b] += p[i];
      sumY[b] += t;
      count[b]++;
    }
    double ece = 0;
    for (int b = 0; b < 10; b++) {
      if (count[b] > 0) {
        ece += Math.abs(sumP[b] - sumY[b]) / n;
      }
    }
    return new ProbabilityScores(n, pos, auc, brier, ece);
  }
}
