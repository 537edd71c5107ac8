package dev.semcache.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A plain SVG of time series, one panel each, stacked, sharing the time axis; a dashed line marks an event
 * (the soak's restart). Written by hand: no plotting library is in the build, and this is all the soak
 * needs.
 */
final class SvgChart {
  /** One panel: a title, the unit its values are divided into, and the points (x in minutes). */
  record Series(String title, String unit, double divisor, double[] x, double[] y) {}

  private static final int WIDTH = 900;
  private static final int PANEL = 130;
  private static final int LEFT = 80;
  private static final int RIGHT = 20;
  private static final int TOP = 30;

  private final List<Series> series = new ArrayList<>();
  private final String title;
  private final double markX;
  private final String markLabel;

  /** @param markX where the dashed line goes, in minutes (NaN: none) */
  SvgChart(String title, double markX, String markLabel) {
    this.title = title;
    this.markX = markX;
    this.markLabel = markLabel;
  }

  SvgChart add(Series s) {
    series.add(s);
    return this;
  }

  String render() {
    int height = TOP + series.size() * (PANEL + 30) + 20;
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
        + " font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, height));
    b.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"18\" font-size=\"14\">%s</text>%n", LEFT, escape(title)));
    double xMax = 0;
    for (Series s : series) {
      for (double x : s.x()) {
        xMax = Math.max(xMax, x);
      }
    }
    xMax = Math.max(xMax, 1e-9);
    int plotW = WIDTH - LEFT - RIGHT;
    for (int p = 0; p < series.size(); p++) {
      Series s = series.get(p);
      int top = TOP + p * (PANEL + 30) + 16;
      double lo = Double.MAX_VALUE;
      double hi = -Double.MAX_VALUE;
      for (double y : s.y()) {
        lo = Math.min(lo, y / s.divisor());
        hi = Math.max(hi, y / s.divisor());
      }
      if (s.y().length == 0) {
        lo = 0;
        hi = 1;
      }
      lo = Math.min(0, lo);
      hi = hi <= lo ? lo + 1 : hi * 1.05;
      b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s (%s)</text>%n", LEFT,
          top - 4, escape(s.title()), escape(s.unit())));
      b.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
          + " stroke=\"#999\"/>%n", LEFT, top, plotW, PANEL));
      for (int t = 0; t <= 4; t++) {
        double v = lo + (hi - lo) * t / 4;
        double y = top + PANEL - PANEL * t / 4.0;
        b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", LEFT - 6,
            y + 4, number(v)));
        b.append(String.format(Locale.ROOT, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>%n",
            LEFT, LEFT + plotW, y, y));
      }
      if (!Double.isNaN(markX)) {
        double mx = LEFT + plotW * markX / xMax;
        b.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%d\" stroke=\"#c33\""
            + " stroke-dasharray=\"4 3\"/>%n", mx, mx, top, top + PANEL));
        if (p == 0) {
          b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"#c33\">%s</text>%n", mx + 4, top + 12,
              escape(markLabel)));
        }
      }
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < s.x().length; i++) {
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", LEFT + plotW * s.x()[i] / xMax,
            top + PANEL - PANEL * (s.y()[i] / s.divisor() - lo) / (hi - lo)));
      }
      b.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"#2a6fdb\" stroke-width=\"1.5\""
          + " points=\"%s\"/>%n", pts.toString().strip()));
      for (int t = 0; t <= 10; t++) {
        double x = LEFT + plotW * t / 10.0;
        b.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x,
            top + PANEL + 13, number(xMax * t / 10)));
      }
    }
    b.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">minutes</text>%n", WIDTH - RIGHT - 50, height - 4));
    b.append("</svg>\n");
    return b.toString();
  }

  private static String number(double v) {
    return Math.abs(v) >= 100 || v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
