package dev.semcache.bench;

import java.util.Locale;

/**
 * Whether a sampled series levels off: the least-squares slope over the first third of the run and over
 * the last third, and how much the series grew over the last third as a share of its mean there. A series
 * levels off when the last third grew by at most {@link #FLAT} of its mean (or less than {@link #SMALL} of
 * what the first third grew, for a series that starts from nothing), or when the last third set no high:
 * its highest value is at most {@link #FLAT} above the highest before it. The last rule is for saw-tooth
 * series (a heap between collections, a store between flushes, an index between merges): the slope over
 * a third depends on where in a tooth the third ends, but a series that keeps growing keeps setting highs.
 *
 * @param firstSlope units per minute over the first third
 * @param lastSlope units per minute over the last third
 * @param lastMean the mean over the last third
 * @param lastGrowth the last third's growth (slope times its length) over its mean
 * @param highRatio the last third's highest value over the highest before it (0 when either is missing)
 */
record SoakTrend(double firstSlope, double lastSlope, double lastMean, double lastGrowth, double highRatio) {
  static final double FLAT = 0.05;
  static final double SMALL = 0.25;

  /** @param x minutes, ascending; y the values (samples below 0, unreadable, are skipped) */
  static SoakTrend of(double[] x, double[] y) {
    double end = x.length == 0 ? 0 : x[x.length - 1];
    double[] first = fit(x, y, 0, end / 3);
    double[] last = fit(x, y, end * 2 / 3, end);
    double growth = last[1] == 0 ? 0 : last[0] * (end / 3) / last[1];
    double before = -1;
    double after = -1;
    for (int i = 0; i < x.length; i++) {
      if (y[i] >= 0) {
        if (x[i] < end * 2 / 3) {
          before = Math.max(before, y[i]);
        } else {
          after = Math.max(after, y[i]);
        }
      }
    }
    return new SoakTrend(first[0], last[0], last[1], growth, before > 0 && after >= 0 ? after / before : 0);
  }

  boolean levelsOff() {
    return lastGrowth <= FLAT || (firstSlope > 0 && lastSlope <= SMALL * firstSlope)
        || (highRatio > 0 && highRatio <= 1 + FLAT);
  }

  String verdict() {
    return levelsOff() ? "levels off" : "still grows";
  }

  String describe(double divisor, String unit) {
    return String.format(Locale.ROOT, "first third %+.2f %s/min, last third %+.2f %s/min (%+.1f%% of its mean %.1f %s),"
        + " its high %.2fx the earlier high: %s", firstSlope / divisor, unit, lastSlope / divisor, unit, 100 * lastGrowth,
        lastMean / divisor, unit, highRatio, verdict());
  }

  /** {slope, mean} of the points with x in [from, to] and y >= 0. */
  private static double[] fit(double[] x, double[] y, double from, double to) {
    double n = 0;
    double sx = 0;
    double sy = 0;
    double sxx = 0;
    double sxy = 0;
    for (int i = 0; i < x.length; i++) {
      if (x[i] >= from && x[i] <= to && y[i] >= 0) {
        n++;
        sx += x[i];
        sy += y[i];
        sxx += x[i] * x[i];
        sxy += x[i] * y[i];
      }
    }
    if (n < 2) {
      return new double[] {0, n == 0 ? 0 : sy / n};
    }
    double d = n * sxx - sx * sx;
    return new double[] {d == 0 ? 0 : (n * sxy - sx * sy) / d, sy / n};
  }
}
