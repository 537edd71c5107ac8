package dev.semcache.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The outputs of {@code ./semcache bench accuracy}: Markdown tables on stdout, every grid point in a CSV
 * file, and a self-contained HTML page (inline SVG, no external assets) that draws hit rate and false-hit
 * rate against the threshold for each dataset and model.
 */
final class AccuracyReport {
  private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd"};

  private AccuracyReport() {}

  static String pct(double x) {
    return Double.isNaN(x) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * x);
  }

  /** The full grid of one curve, as a Markdown table. */
  static void printGrid(AccuracyCurve c, PrintStream out) {
    out.printf(Locale.ROOT, "%n### %s, %s: every threshold%n%n", c.dataset(), c.model());
    out.println("| threshold | queries | hits | TP | FP | FN | TN | hit rate | recall | false-hit rate | unanswerable hit rate | precision | F1 |");
    out.println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (Confusion p : c.points()) {
      out.printf(Locale.ROOT, "| %.3f | %d | %d | %d | %d | %d | %d | %s | %s | %s | %s | %s | %.3f |%n", p.threshold(),
          p.queries(), p.hits(), p.tp(), p.fp(), p.fn(), p.tn(), pct(p.hitRate()), pct(p.recall()),
          pct(p.falseHitRate()), pct(p.unanswerableHitRate()), pct(p.precision()), p.f1());
    }
  }

  /** The thresholds that meet each false-hit target, one row per curve. */
  static void printTargets(List<AccuracyCurve> curves, PrintStream out) {
    out.println();
    out.print("| dataset | model |");
    for (double t : AccuracyCurve.TARGETS) {
      out.printf(Locale.ROOT, " ≤%s: threshold | recall | hit rate |", pct(t).replace(".0%", "%"));
    }
    out.println(" best F1 (threshold) |");
    out.print("|---|---|");
    out.print("---:|---:|---:|".repeat(AccuracyCurve.TARGETS.size()));
    out.println("---:|");
    for (AccuracyCurve c : curves) {
      out.printf("| %s | %s |", c.dataset(), c.model());
      for (double t : AccuracyCurve.TARGETS) {
        Confusion p = c.lowestMeeting(t);
        if (p == null) {
          out.print(" none | - | - |");
        } else {
          out.printf(Locale.ROOT, " %.3f | %s | %s |", p.threshold(), pct(p.recall()), pct(p.hitRate()));
        }
      }
      Confusion best = c.points().stream().max((a, b) -> Double.compare(a.f1(), b.f1())).orElseThrow();
      out.printf(Locale.ROOT, " %.3f (%.3f) |%n", best.f1(), best.threshold());
    }
  }

  static void writeCsv(List<AccuracyCurve> curves, Path file) throws IOException {
    StringBuilder b = new StringBuilder("dataset,model,threshold,queries,answerable,hits,tp,fp,fn,tn,hit_rate,recall,"
        + "false_hit_rate,unanswerable_hit_rate,precision,f1\n");
    for (AccuracyCurve c : curves) {
      for (Confusion p : c.points()) {
        b.append(String.format(Locale.ROOT, "%s,%s,%.3f,%d,%d,%d,%d,%d,%d,%d,%s,%s,%s,%s,%s,%.4f%n", c.dataset(), c.model(),
            p.threshold(), p.queries(), p.answerable(), p.hits(), p.tp(), p.fp(), p.fn(), p.tn(), num(p.hitRate()),
            num(p.recall()), num(p.falseHitRate()), num(p.unanswerableHitRate()), num(p.precision()), p.f1()));
      }
    }
    Files.writeString(file, b);
  }

  private static String num(double x) {
    return Double.isNaN(x) ? "" : String.format(Locale.ROOT, "%.4f", x);
  }

  /**
   * One panel per dataset: for each model, recall (the hit rate on traffic the cache can answer) as a
   * solid line and the false-hit rate as a dashed one, with the thresholds meeting the 2% target marked.
   */
  static void writeHtml(List<AccuracyCurve> curves, String title, String subtitle, Path file) throws IOException {
    Map<String, List<AccuracyCurve>> byDataset = new LinkedHashMap<>();
    List<String> models = new ArrayList<>();
    for (AccuracyCurve c : curves) {
      byDataset.computeIfAbsent(c.dataset(), d -> new ArrayList<>()).add(c);
      if (!models.contains(c.model())) {
        models.add(c.model());
      }
    }
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").append(esc(title))
        .append("</title>\n<style>body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}"
            + "h1{font-size:20px}h2{font-size:16px;margin:0 0 4px}.grid{display:flex;flex-wrap:wrap;gap:24px}"
            + ".panel{border:1px solid #ddd;border-radius:6px;padding:12px}.legend span{margin-right:18px}"
            + "table{border-collapse:collapse;margin-top:6px}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eee}"
            + "th:first-child,td:first-child{text-align:left}</style></head><body>\n")
        .append("<h1>").append(esc(title)).append("</h1>\n<p>").append(esc(subtitle)).append("</p>\n<p class=\"legend\">");
    for (int m = 0; m < models.size(); m++) {
      h.append("<span><svg width=\"30\" height=\"10\"><line x1=\"0\" y1=\"5\" x2=\"30\" y2=\"5\" stroke=\"")
          .append(COLOURS[m % COLOURS.length]).append("\" stroke-width=\"2\"/></svg> ").append(esc(models.get(m)))
          .append("</span>");
    }
    h.append("<span>solid: recall (hit rate on traffic the cache can answer)</span><span>dashed: false-hit rate"
        + " (share of hits that were wrong)</span><span>dots: lowest threshold with false-hit rate ≤ 2%</span></p>\n");
    h.append("<div class=\"grid\">\n");
    for (Map.Entry<String, List<AccuracyCurve>> e : byDataset.entrySet()) {
      h.append("<div class=\"panel\"><h2>").append(esc(e.getKey())).append("</h2>\n");
      h.append(svg(e.getValue(), models));
      h.append("<table><tr><th>model</th>");
      for (double t : AccuracyCurve.TARGETS) {
        h.append("<th>false hits ≤ ").append(pct(t)).append("</th>");
      }
      h.append("</tr>");
      for (AccuracyCurve c : e.getValue()) {
        h.append("<tr><td>").append(esc(c.model())).append("</td>");
        for (double t : AccuracyCurve.TARGETS) {
          Confusion p = c.lowestMeeting(t);
          h.append("<td>").append(p == null ? "none" : String.format(Locale.ROOT, "t=%.3f: %s", p.threshold(),
              pct(p.recall()))).append("</td>");
        }
        h.append("</tr>");
      }
      h.append("</table></div>\n");
    }
    h.append("</div>\n<p>Every grid point is in the CSV file beside this page. Definitions: bench/README.md,"
        + " section Accuracy.</p>\n</body></html>\n");
    Files.writeString(file, h);
  }

  private static String svg(List<AccuracyCurve> curves, List<String> models) {
    int w = 520;
    int hgt = 300;
    int left = 46;
    int right = 12;
    int top = 10;
    int bottom = 36;
    double pw = w - left - right;
    double ph = hgt - top - bottom;
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" font-size=\"11\">", w, hgt, w, hgt));
    for (int i = 0; i <= 10; i++) {
      double y = top + ph - ph * i / 10.0;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>"
          + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>", left, y, w - right, y, left - 4, y + 4, i * 10));
    }
    for (int i = 0; i <= 10; i++) {
      double x = left + pw * i / 10.0;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eee\"/>"
          + "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.2f</text>", x, top, x, top + ph, x, top + ph + 14,
          0.5 + i * 0.05));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">similarity threshold</text>",
        left + pw / 2, hgt - 4));
    for (AccuracyCurve c : curves) {
      String colour = COLOURS[models.indexOf(c.model()) % COLOURS.length];
      s.append(polyline(c, Confusion::recall, colour, "", left, top, pw, ph));
      s.append(polyline(c, Confusion::falseHitRate, colour, " stroke-dasharray=\"5,3\"", left, top, pw, ph));
      Confusion p = c.lowestMeeting(0.02);
      if (p != null) {
        double x = left + pw * (p.threshold() - 0.5) / 0.5;
        s.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%s\"><title>%s: t=%.3f,"
            + " recall %s, false-hit rate %s</title></circle>", x, top + ph - ph * p.recall(), colour, esc(c.model()),
            p.threshold(), pct(p.recall()), pct(p.falseHitRate())));
      }
    }
    return s.append("</svg>\n").toString();
  }

  private static String polyline(AccuracyCurve c, java.util.function.ToDoubleFunction<Confusion> f, String colour,
      String extra, int left, int top, double pw, double ph) {
    StringBuilder pts = new StringBuilder();
    for (Confusion p : c.points()) {
      double v = f.applyAsDouble(p);
      if (!Double.isNaN(v)) {
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", left + pw * (p.threshold() - 0.5) / 0.5, top + ph - ph * v));
      }
    }
    return "<polyline fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"2\"" + extra + " points=\"" + pts.toString().strip()
        + "\"/>";
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
