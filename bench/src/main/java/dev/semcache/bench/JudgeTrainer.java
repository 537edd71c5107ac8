package dev.semcache.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.bench.AccuracyDatasets.Labelled;
import dev.semcache.bench.peers.ExactKnn;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.embedding.Vectors;
import dev.semcache.server.cli.LabelledPairs;
import dev.semcache.server.judge.JudgeCoefficients;
import dev.semcache.server.judge.PairFeatures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code ./semcache bench train-judge [OPTIONS]}: fits the second-stage judge (docs/verified.md) on the
 * training parts of the shared data ({@link JudgePairs}), measures it on a held-out fifth of those pairs
 * (chosen by the query text, so a query is never on both sides) against each model's cosine alone
 * (calibrated the same way, by a one-feature logistic fit), and writes the coefficients file that
 * cache-server ships ({@link JudgeCoefficients}) and a report in bench/results/accuracy.
 */
final class JudgeTrainer {
  private JudgeTrainer() {}

  static final String USAGE = """
      usage: ./semcache bench train-judge [OPTIONS]
        --out FILE          the coefficients file (default
                            cache-server/src/main/resources/dev/semcache/server/judge/second-stage-judge.json)
        --report-dir DIR    where judge-DATE.md goes (default bench/results/accuracy)
        --paws-pairs N      PAWS pairs to train on (default 3000)
        --banking-per-intent N, --clinc-per-intent N   queries per intent (default 15, 8)
      """;

  record Row(JudgePairs pair, double[] features, boolean heldOut) {}

  public static void main(String[] args) throws Exception {
    JudgePairs.Sizes d = JudgePairs.Sizes.defaults();
    int paws = d.pawsPairs();
    int banking = d.bankingPerIntent();
    int clinc = d.clincPerIntent();
    Path out = Path.of("cache-server/src/main/resources/" + JudgeCoefficients.RESOURCE);
    Path reports = Path.of("bench/results/accuracy");
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--help")) {
        System.out.print(USAGE);
        return;
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(args[i] + " needs a value\n" + USAGE);
      }
      String v = args[++i];
      switch (args[i - 1]) {
        case "--out" -> out = Path.of(v);
        case "--report-dir" -> reports = Path.of(v);
        case "--paws-pairs" -> paws = Integer.parseInt(v);
        case "--banking-per-intent" -> banking = Integer.parseInt(v);
        case "--clinc-per-intent" -> clinc = Integer.parseInt(v);
        default -> throw new IllegalArgumentException("unknown option " + args[i - 1] + "\n" + USAGE);
      }
    }
    JudgePairs.Sizes sizes = new JudgePairs.Sizes(paws, banking, clinc, d.crowdedPawsPairs(), d.crowdedSeed());
    Path data = SharedDatasets.dataDir();
    List<LabelledPairs.Pair> pawsPairs = JudgePairs.pawsTraining(AccuracyDatasets.paws(data), sizes);
    List<JudgePairs.Neighbourhood> hoods = List.of(JudgePairs.banking(data, sizes), JudgePairs.clinc(data, sizes));
    LinkedHashSet<String> texts = new LinkedHashSet<>();
    pawsPairs.forEach(p -> {
      texts.add(p.a());
      texts.add(p.b());
    });
    hoods.forEach(h -> {
      h.stored().forEach(l -> texts.add(l.text()));
      h.queries().forEach(l -> texts.add(l.text()));
    });
    String first = ModelSpec.DEFAULT;
    String second = ModelSpec.KNOWN.stream().filter(m -> !m.equals(first)).findFirst().orElseThrow();
    Map<String, Map<String, float[]>> vectors = new LinkedHashMap<>();
    for (String model : List.of(first, second)) {
      vectors.put(model, embedAll(model, new ArrayList<>(texts)));
    }
    // pairs: PAWS as given; intent sets each query with its two nearest stored prompts under either model
    List<JudgePairs> pairs = new ArrayList<>();
    pawsPairs.forEach(p -> pairs.add(new JudgePairs("paws", p.a(), p.b(), p.same())));
    for (JudgePairs.Neighbourhood h : hoods) {
      for (Labelled q : h.queries()) {
        LinkedHashSet<Integer> near = new LinkedHashSet<>();
        for (String model : vectors.keySet()) {
          List<float[]> stored = h.stored().stream().map(l -> vectors.get(model).get(l.text())).toList();
          for (int i : ExactKnn.topK(vectors.get(model).get(q.text()), stored, 2, x -> true)) {
            near.add(i);
          }
        }
        for (int i : near) {
          Labelled s = h.stored().get(i);
          pairs.add(new JudgePairs(h.dataset(), q.text(), s.text(), s.group().equals(q.group())));
        }
      }
    }
    List<Row> rows = new ArrayList<>();
    for (JudgePairs p : pairs) {
      double c1 = Vectors.dot(vectors.get(first).get(p.query()), vectors.get(first).get(p.matched()));
      double c2 = Vectors.dot(vectors.get(second).get(p.query()), vectors.get(second).get(p.matched()));
      boolean heldOut = Math.floorMod(p.query().hashCode(), 5) == 0;
      rows.add(new Row(p, PairFeatures.of(c1, c2, p.query(), p.matched()).values(), heldOut));
    }
    List<Row> fitRows = rows.stream().filter(r -> !r.heldOut()).toList();
    List<Row> testRows = rows.stream().filter(Row::heldOut).toList();
    System.err.printf("fitting on %d pairs, %d held out%n", fitRows.size(), testRows.size());
    LogisticFit judge = LogisticFit.fit(matrix(fitRows, null), labels(fitRows));
    LogisticFit cos1 = LogisticFit.fit(matrix(fitRows, 0), labels(fitRows));
    LogisticFit cos2 = LogisticFit.fit(matrix(fitRows, 1), labels(fitRows));

    Map<String, Map<String, ProbabilityScores>> scores = new LinkedHashMap<>();
    for (String part : List.of("all", "paws", "intents")) {
      List<Row> r = testRows.stream().filter(x -> part.equals("all") || part.equals("paws") == x.pair().dataset()
          .equals("paws")).toList();
      Map<String, ProbabilityScores> m = new LinkedHashMap<>();
      m.put("second-stage judge", score(judge, r, null));
      m.put(first + " cosine", score(cos1, r, 0));
      m.put(second + " cosine", score(cos2, r, 1));
      scores.put(part, m);
    }

    ObjectMapper json = new ObjectMapper();
    ObjectNode training = json.createObjectNode();
    training.put("command", "./semcache bench train-judge" + (args.length == 0 ? "" : " " + String.join(" ", args)));
    training.put("date", LocalDate.now().toString());
    training.put("method", "logistic regression, Newton/IRLS, ridge " + LogisticFit.RIDGE
        + " on standardised features; coefficients on raw features");
    ArrayNode sets = training.putArray("data");
    Map<String, int[]> perSet = new LinkedHashMap<>();
    for (Row r : fitRows) {
      int[] c = perSet.computeIfAbsent(r.pair().dataset(), k -> new int[2]);
      c[0]++;
      c[1] += r.pair().same() ? 1 : 0;
    }
    Map<String, String> ids = Map.of(
        "paws", "shared/data/paws_wiki/dev.tsv: pairs sharing no sentence with bench crowded's measured PAWS pairs"
            + " (sample of " + sizes.crowdedPawsPairs() + ", seed " + sizes.crowdedSeed() + ")",
        hoods.get(0).dataset(), "shared/data/banking77/train.csv (test.csv never used)",
        hoods.get(1).dataset(), "shared/data/clinc150_oos/data_full.json splits train, val, oos_train, oos_val"
            + " (test, oos_test never used)");
    perSet.forEach((k, c) -> sets.addObject().put("id", ids.get(k)).put("pairs", c[0]).put("positives", c[1]));
    training.put("held_out_rule", "query text hashCode mod 5 == 0");
    training.put("licences", "PAWS: free use, Google LLC; BANKING77: CC BY 4.0, PolyAI; CLINC150: CC BY 3.0, Clinc");
    ObjectNode heldOut = json.createObjectNode();
    scores.forEach((part, m) -> {
      ObjectNode o = heldOut.putObject(part);
      m.forEach((name, s) -> o.putObject(name).put("pairs", s.n()).put("positives", s.positives())
          .put("auc", round(s.auc())).put("brier", round(s.brier())).put("calibration_error", round(s.calibrationError())));
    });
    JudgeCoefficients c = new JudgeCoefficients(JudgeCoefficients.FORMAT, PairFeatures.NAMES, first, second,
        ModelSpec.named(first).onnxSha256(), ModelSpec.named(second).onnxSha256(), judge.intercept(),
        judge.coefficients(), training, heldOut);
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, c.toJson() + "\n", StandardCharsets.UTF_8);
    System.err.println("wrote " + out);
    String md = report(c, scores, perSet, ids, fitRows.size(), testRows.size());
    System.out.print(md);
    Files.createDirectories(reports);
    Path report = reports.resolve("judge-" + LocalDate.now() + ".md");
    Files.writeString(report, md, StandardCharsets.UTF_8);
    System.err.println("wrote " + report);
  }

  private static double round(double x) {
    return Math.round(x * 1e4) / 1e4;
  }

  /**
   * Every text's embedding under a model, kept in bench/target between runs (a refit with other
   * features does not embed again; the file is named by the model and the texts' hash).
   */
  @SuppressWarnings("unchecked")
  static Map<String, float[]> embedAll(String model, List<String> texts) throws java.io.IOException {
    Path cache = Path.of("bench/target/judge-vectors-" + model + "-" + Integer.toHexString(texts.hashCode()) + ".ser");
    if (Files.isRegularFile(cache)) {
      try (var in = new java.io.ObjectInputStream(new java.io.BufferedInputStream(Files.newInputStream(cache)))) {
        System.err.println(model + ": embeddings from " + cache);
        return (Map<String, float[]>) in.readObject();
      } catch (ClassNotFoundException | java.io.IOException e) {
        System.err.println(model + ": " + cache + " unreadable (" + e + "), embedding again");
      }
    }
    Map<String, float[]> out = embedFresh(model, texts);
    if (Files.isDirectory(cache.getParent())) {
      try (var o = new java.io.ObjectOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(cache)))) {
        o.writeObject(new HashMap<>(out));
      }
    }
    return out;
  }

  private static Map<String, float[]> embedFresh(String model, List<String> texts) {
    Map<String, float[]> out = new HashMap<>();
    try (ParallelEmbedder e = ParallelEmbedder.open(ModelSpec.named(model), OnnxOptions.defaults(),
        ParallelOptions.defaults())) {
      int batch = 256;
      for (int i = 0; i < texts.size(); i += batch) {
        List<String> part = texts.subList(i, Math.min(texts.size(), i + batch));
        List<float[]> v = e.embedAll(part);
        for (int j = 0; j < part.size(); j++) {
          out.put(part.get(j), v.get(j));
        }
        System.err.printf("\r%s: embedded %d of %d", model, Math.min(texts.size(), i + batch), texts.size());
      }
      System.err.println();
    }
    return out;
  }

  private static double[][] matrix(List<Row> rows, Integer only) {
    double[][] x = new double[rows.size()][];
    for (int i = 0; i < rows.size(); i++) {
      x[i] = only == null ? rows.get(i).features() : new double[] {rows.get(i).features()[only]};
    }
    return x;
  }

  private static boolean[] labels(List<Row> rows) {
    boolean[] y = new boolean[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      y[i] = rows.get(i).pair().same();
    }
    return y;
  }

  private static ProbabilityScores score(LogisticFit f, List<Row> rows, Integer only) {
    double[][] x = matrix(rows, only);
    double[] p = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      p[i] = f.probability(x[i]);
    }
    return ProbabilityScores.of(p, labels(rows));
  }

  private static String report(JudgeCoefficients c, Map<String, Map<String, ProbabilityScores>> scores,
      Map<String, int[]> perSet, Map<String, String> ids, int fit, int held) {
    StringBuilder b = new StringBuilder();
    b.append("#### Second-stage judge: held-out pairs (").append(LocalDate.now()).append(")\n\n");
    b.append("Command: `").append(c.training().get("command").asText()).append("`. Fitted on ").append(fit)
        .append(" pairs, measured on ").append(held).append(" held-out pairs (").append(c.training()
            .get("held_out_rule").asText()).append(").\n\n");
    b.append("| held-out part | scorer | pairs (positive) | ROC AUC | Brier | calibration error (10 bins) |\n");
    b.append("|---|---|---:|---:|---:|---:|\n");
    scores.forEach((part, m) -> m.forEach((name, s) -> b.append(String.format(Locale.ROOT,
        "| %s | %s | %d (%d) | %.4f | %.4f | %.4f |%n", part, name, s.n(), s.positives(), s.auc(), s.brier(),
        s.calibrationError()))));
    b.append("\nTraining data:\n\n");
    perSet.forEach((k, n) -> b.append(String.format(Locale.ROOT, "- %s: %d pairs (%d positive)%n", ids.get(k), n[0],
        n[1])));
    b.append("\nCoefficients (raw features): intercept ").append(String.format(Locale.ROOT, "%.3f", c.intercept()));
    for (int i = 0; i < c.features().size(); i++) {
      b.append(String.format(Locale.ROOT, ", %s %.3f", c.features().get(i), c.coefficients()[i]));
    }
    b.append(".\nEach cosine baseline is that model's cosine through a one-feature logistic fit on the same"
        + " training pairs (calibrated the same way).\n");
    return b.toString();
  }
}
