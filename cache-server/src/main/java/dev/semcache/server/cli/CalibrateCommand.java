package dev.semcache.server.cli;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxEmbedder;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.Vectors;
import dev.semcache.server.audit.SimilarityHistogram;
import dev.semcache.server.audit.ThresholdCurve;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code semcache calibrate}: the what-if curve of a labelled pairs file, so that a new namespace starts
 * from a measured threshold. Every pair is treated as a lookup of {@code text_b} whose nearest entry is
 * {@code text_a}: a pair at or above a threshold is a hit there, a correct one if labelled 1 and a false
 * one if labelled 0. The curve and the recommended threshold are computed exactly as a namespace's
 * {@code /analysis} is, from audit verdicts.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
    description = {"Measure hit rate and false-hit rate against the threshold on a labelled pairs file,",
        "recommend a threshold for a target false-hit rate, and optionally apply it to a namespace."})
final class CalibrateCommand implements Callable<Integer> {

  @Option(names = "--pairs", required = true, paramLabel = "FILE",
      description = "TSV (text_a, text_b, label; or id, text_a, text_b, label as in PAWS) or JSONL (text_a, text_b, label).")
  Path pairsFile;

  @Option(names = "--format", paramLabel = "tsv|jsonl", description = "File format (default: from the file name: .jsonl/.json is JSONL, anything else TSV).")
  String format;

  @Option(names = "--model", defaultValue = ModelSpec.DEFAULT, description = "Model (default: ${DEFAULT-VALUE}); use the one the server runs.")
  String model;

  @Option(names = "--target", defaultValue = "0.02", description = "Target false-hit rate (default: ${DEFAULT-VALUE}).")
  double target;

  @Option(names = "--limit", defaultValue = "0", description = "Use only the first N pairs (default: all).")
  int limit;

  @Option(names = "--all", description = "Print every threshold of the 0.005 grid (default: every 0.01).")
  boolean all;

  @Option(names = "--apply", paramLabel = "NAMESPACE", description = "PUT the recommended threshold to this namespace of a running server.")
  String apply;

  @Option(names = "--url", defaultValue = "http://127.0.0.1:8080", description = "The server for --apply (default: ${DEFAULT-VALUE}).")
  String url;

  @Option(names = "--key", description = "Admin API key for --apply (default: the SEMCACHE_API_KEY environment variable).")
  String key;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    PrintStream err = System.err;
    if (!(target > 0 && target < 1)) {
      err.println("semcache calibrate: --target must be above 0 and below 1; target=" + target);
      return 2;
    }
    LabelledPairs file;
    ModelSpec spec;
    try {
      spec = ModelSpec.named(model);
      file = LabelledPairs.read(pairsFile, format);
    } catch (IllegalArgumentException | java.io.IOException e) {
      err.println("semcache calibrate: " + e.getMessage());
      return 2;
    }
    List<LabelledPairs.Pair> pairs = limit > 0 && limit < file.pairs().size() ? file.pairs().subList(0, limit) : file.pairs();
    long[] nearest = new long[SimilarityHistogram.BINS];
    long[] correct = new long[SimilarityHistogram.BINS];
    long[] wrong = new long[SimilarityHistogram.BINS];
    long positives = pairs.stream().filter(LabelledPairs.Pair::same).count();
    err.printf(Locale.ROOT, "semcache calibrate: %d pairs (%d labelled same, %d different) from %s, model %s%n",
        pairs.size(), positives, pairs.size() - positives, pairsFile, spec.name());
    Map<String, float[]> vectors = new HashMap<>();
    long t0 = System.nanoTime();
    long lastReport = t0;
    try (OnnxEmbedder embedder = OnnxEmbedder.open(spec, OnnxOptions.defaults())) {
      for (int i = 0; i < pairs.size(); i++) {
        LabelledPairs.Pair p = pairs.get(i);
        float similarity = Vectors.dot(vector(embedder, vectors, p.a()), vector(embedder, vectors, p.b()));
        int bin = SimilarityHistogram.bin(similarity);
        nearest[bin]++;
        (p.same() ? correct : wrong)[bin]++;
        long now = System.nanoTime();
        if (now - lastReport > 5_000_000_000L || i == pairs.size() - 1) {
          double s = (now - t0) / 1e9;
          err.printf(Locale.ROOT, "  embedded %d/%d pairs (%.0f%%), %.0f pairs/s, %.0f s left%n", i + 1, pairs.size(),
              100.0 * (i + 1) / pairs.size(), (i + 1) / s, (pairs.size() - i - 1) / ((i + 1) / s));
          lastReport = now;
        }
      }
    } catch (IllegalArgumentException e) {
      err.println("semcache calibrate: " + e.getMessage());
      return 2;
    }
    ThresholdCurve.Result r = ThresholdCurve.compute(pairs.size(), 0, nearest, correct, wrong, 0, target);
    out.printf(Locale.ROOT, "%-9s  %8s  %8s  %10s  %13s%n", "threshold", "hit_rate", "recall", "false_hit", "95% interval");
    for (ThresholdCurve.Point p : r.points()) {
      int bin = (int) Math.round(p.threshold() * SimilarityHistogram.BINS);
      boolean show = all || bin % 2 == 0 || p.threshold() == r.recommended();
      if (!show) {
        continue;
      }
      long hitPositives = SimilarityHistogram.sumFrom(correct, bin);
      String rate = p.rate().known() ? String.format(Locale.ROOT, "%9.2f%%", 100 * p.rate().estimate()) : "        -";
      String interval = p.rate().known()
          ? String.format(Locale.ROOT, "%5.1f-%5.1f%%", 100 * p.rate().lower(), 100 * p.rate().upper()) : "            -";
      out.printf(Locale.ROOT, "%-9.3f  %7.1f%%  %7.1f%%  %10s  %13s%s%n", p.threshold(), 100 * p.hitRate(),
          100.0 * hitPositives / positives, rate, interval, p.threshold() == r.recommended() ? "  <- recommended" : "");
    }
    out.println();
    out.println(r.why().replace("of lookups", "of these pairs").replace(" audited", " labelled pairs")
        .replace(" audits", " labelled pairs").replace("Keep auditing.", "Try more labelled pairs or a higher --target."));
    out.println("hit_rate: pairs at or above the threshold; recall: same-meaning pairs at or above it; false_hit: the"
        + " different-meaning share of the pairs at or above it. Both depend on this file's mix of labels.");
    if (apply == null) {
      return 0;
    }
    if (Double.isNaN(r.recommended())) {
      err.println("semcache calibrate: no threshold qualifies, so nothing is applied to '" + apply + "'");
      return 1;
    }
    return applyThreshold(r.recommended(), out, err);
  }

  private static float[] vector(OnnxEmbedder embedder, Map<String, float[]> cache, String text) {
    return cache.computeIfAbsent(text, t -> embedder.embedTokenized(List.of(embedder.tokenize(t))).get(0));
  }

  private int applyThreshold(double threshold, PrintStream out, PrintStream err) throws InterruptedException {
    String k = key != null ? key : System.getenv("SEMCACHE_API_KEY");
    String body = String.format(Locale.ROOT, "{\"threshold\": %.3f}", threshold);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url.replaceAll("/+$", "") + "/v1/namespaces/" + apply))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(body));
    if (k != null && !k.isBlank()) {
      b.header("Authorization", "Bearer " + k);
    }
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        err.println("semcache calibrate: " + url + " refused the threshold (" + r.statusCode() + "): " + r.body());
        return 1;
      }
      out.printf(Locale.ROOT, "applied threshold %.3f to namespace '%s' at %s: %s%n", threshold, apply, url, r.body());
      return 0;
    } catch (java.io.IOException e) {
      err.println("semcache calibrate: cannot reach " + url + ": " + e.getMessage());
      return 1;
    }
  }
}
