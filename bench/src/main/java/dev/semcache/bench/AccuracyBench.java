package dev.semcache.bench;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.index.Directories;
import dev.semcache.server.cli.LabelledPairs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./semcache bench accuracy [OPTIONS]}: hit rate and false-hit rate against the threshold, on the
 * labelled public datasets of ../shared/data, through the real core ({@link InProcessCache}, or a running
 * server with {@code --url}: {@link HttpCache}) with each model ({@link AccuracyRunner}), beside an exact-match cache ({@link ExactMatchCache}) on the same traffic, and GPTCache's own
 * benchmark procedure on its own fixture. Definitions and results: bench/README.md, section Accuracy.
 */
final class AccuracyBench {
  static final List<String> ALL_DATASETS = List.of("paws", "banking77", "clinc150", "gptcache");
  /** GPTCache's published results on mock_data.json (examples/benchmark, README): correct, wrong, missed. */
  static final Map<Double, long[]> GPTCACHE_PUBLISHED = Map.of(0.9, new long[] {804, 77, 118}, 0.8, new long[] {904, 92, 3});

  /** The false-hit target whose threshold the stream is run again at, with misses stored. */
  static final double STORING_TARGET = 0.02;

  private AccuracyBench() {}

  record Options(List<String> models, List<String> datasets, int pawsPairs, int bankingPerIntent, int clincPerIntent,
      int clincOos, int holdOutEvery, double zipf, long seed, Path pairsFile, Path outDir, String url, String key,
      List<String> backends) {}

  static final List<String> BACKENDS = List.of("embedded", "opensearch");

  static final String USAGE = """
      usage: ./semcache bench accuracy [OPTIONS]
        --models LIST          models to evaluate (default all-minilm-l6-v2-q,bge-small-en-v15-q)
        --datasets LIST        a subset of paws,banking77,clinc150,gptcache (default all)
        --paws-pairs N         PAWS-Wiki dev pairs, a seeded sample (default 1000 of 8000; 0 = all)
        --banking-per-intent N BANKING77 test queries per intent, the first N (default 20 of 40)
        --clinc-per-intent N   CLINC150 test queries per intent, the first N (default 10 of 30)
        --clinc-oos N          CLINC150 out-of-scope test queries, a seeded sample (default 300 of 1000)
        --hold-out-every K     BANKING77: every K-th intent (alphabetical) is never stored (default 7: 11 of 77)
        --zipf S               Zipf exponent of the stream's group popularity (default 1.0)
        --seed N               seed of every sample and of the stream (default 6)
        --pairs FILE           also evaluate a generic pairs file (TSV text_a,text_b,label or JSONL)
        --out-dir DIR          where the CSV, HTML and summary go (default bench/results/accuracy)
        --url URL              run the traffic against this running server instead of the core in process;
                               --models must then name the one model it runs (the stream is not rerun
                               with misses stored: each stored miss would wait for the index refresh)
        --key KEY              API key for --url (default: the SEMCACHE_API_KEY environment variable)
        --backend LIST         the in-process core's storage: embedded (default), opensearch (a 1-node
                               OpenSearch k-NN cluster started on loopback for the run), or both,
                               embedded,opensearch: the same traffic on each, and a table side by side
      """;

  static void main(String[] args) throws Exception {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("accuracy: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (o == null) {
      System.out.print(USAGE);
      return;
    }
    run(o, System.out);
  }

  static Options parse(String[] args) {
    List<String> models = ModelSpec.KNOWN;
    List<String> datasets = ALL_DATASETS;
    int pawsPairs = 1000;
    int bankingPerIntent = 20;
    int clincPerIntent = 10;
    int clincOos = 300;
    int holdOutEvery = 7;
    double zipf = 1.0;
    long seed = 6;
    Path pairsFile = null;
    Path outDir = defaultOutDir();
    String url = null;
    String key = System.getenv("SEMCACHE_API_KEY");
    List<String> backends = List.of("embedded");
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String value = null;
      int eq = a.indexOf('=');
      if (a.startsWith("--") && eq > 0) {
        value = a.substring(eq + 1);
        a = a.substring(0, eq);
      }
      if (a.equals("-h") || a.equals("--help")) {
        return null;
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(a + " needs a value");
        }
        value = args[++i];
      }
      try {
        switch (a) {
          case "--models" -> models = Arrays.stream(value.split(",")).map(String::strip).peek(ModelSpec::named).toList();
          case "--datasets" -> {
            Set<String> wanted = new LinkedHashSet<>();
            for (String s : value.split(",")) {
              String n = s.strip().toLowerCase(Locale.ROOT);
              if (!ALL_DATASETS.contains(n)) {
                throw new IllegalArgumentException("unknown dataset '" + s + "'; datasets: " + ALL_DATASETS);
              }
              wanted.add(n);
            }
            datasets = ALL_DATASETS.stream().filter(wanted::contains).toList();
          }
          case "--paws-pairs" -> pawsPairs = notNegative(a, Integer.parseInt(value));
          case "--banking-per-intent" -> bankingPerIntent = positive(a, Integer.parseInt(value));
          case "--clinc-per-intent" -> clincPerIntent = positive(a, Integer.parseInt(value));
          case "--clinc-oos" -> clincOos = notNegative(a, Integer.parseInt(value));
          case "--hold-out-every" -> holdOutEvery = positive(a, Integer.parseInt(value));
          case "--zipf" -> {
            zipf = Double.parseDouble(value);
            if (!(zipf >= 0)) {
              throw new IllegalArgumentException("--zipf must not be negative; got " + value);
            }
          }
          case "--seed" -> seed = Long.parseLong(value);
          case "--pairs" -> pairsFile = Path.of(value);
          case "--out-dir" -> outDir = Path.of(value);
          case "--url" -> url = value;
          case "--key" -> key = value;
          case "--backend", "--backends" -> {
            Set<String> wanted = new LinkedHashSet<>();
            for (String b : value.split(",")) {
              if (!BACKENDS.contains(b.strip())) {
                throw new IllegalArgumentException("--backend must be embedded, opensearch or both; backend=" + value);
              }
              wanted.add(b.strip());
            }
            backends = List.copyOf(wanted);
          }
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(a + ": not a number: " + value);
      }
    }
    if (models.isEmpty()) {
      throw new IllegalArgumentException("--models must not be empty");
    }
    if (url != null && models.size() != 1) {
      throw new IllegalArgumentException("--url needs --models to name the one model the server runs; models=" + models);
    }
    if (url != null && !backends.equals(List.of("embedded"))) {
      throw new IllegalArgumentException("--backend is the in-process core's; with --url the server's config decides");
    }
    return new Options(models, datasets, pawsPairs, bankingPerIntent, clincPerIntent, clincOos, holdOutEvery, zipf, seed,
        pairsFile, outDir, url, key, backends);
  }

  private static int positive(String name, int v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be positive; got " + v);
    }
    return v;
  }

  private static int notNegative(String name, int v) {
    if (v < 0) {
      throw new IllegalArgumentException(name + " must not be negative; got " + v);
    }
    return v;
  }

  private static Path defaultOutDir() {
    String benchTarget = System.getProperty("semcache.bench.dir");
    Path results = benchTarget != null ? Path.of(benchTarget).toAbsolutePath().getParent().resolve("results")
        : Path.of("bench", "results");
    return results.resolve("accuracy");
  }

  /** The stream run again at one threshold with every miss stored, as a gateway would run it. */
  record StoringRun(String dataset, String model, double threshold, Confusion confusion) {}

  /** Everything the run measured. */
  record Results(List<AccuracyCurve> curves, List<StoringRun> storing, Map<String, AccuracyCurve> gptcacheByText,
      Map<String, List<Outcome>> exact, Map<String, List<Outcome>> exactStored, double seconds) {}

  static Results run(Options o, PrintStream out) throws Exception {
    long start = System.nanoTime();
    PrintStream log = System.err;
    AccuracyTraffic t = AccuracyTraffic.of(o, log);
    List<AccuracyCurve> curves = new ArrayList<>();
    List<StoringRun> storing = new ArrayList<>();
    Map<String, AccuracyCurve> gptcacheByText = new LinkedHashMap<>();
    Path clusterHome = Files.createTempDirectory("semcache-accuracy-cluster");
    try (dev.semcache.opensearch.testcluster.TestCluster cluster = o.backends().contains("opensearch")
        ? dev.semcache.opensearch.testcluster.TestCluster.start(1, clusterHome,
            dev.semcache.opensearch.testcluster.TestCluster.BENCH_JVM) : null) {
      for (String backend : o.backends()) {
        for (String model : o.models()) {
          String label = backendLabel(model, backend);
          long modelStart = System.nanoTime();
          log.printf("model %s%n", label);
          Path dir = Files.createTempDirectory("semcache-accuracy");
          ParallelEmbedder embedder = o.url() == null ? ParallelEmbedder.open(ModelSpec.named(model),
              OnnxOptions.defaults(), ParallelOptions.defaults()) : null;
          try (CacheUnderTest cache = o.url() != null ? new HttpCache(o.url(), o.key())
              : backend.equals("opensearch") ? InProcessCache.onOpenSearch(embedder, cluster.hosts(),
                  "accuracy-" + model + "-", ModelSpec.named(model).dimension())
              : new InProcessCache(embedder, dir)) {
            AccuracyRunner runner = new AccuracyRunner(cache);
            String prefix = o.url() == null ? "" : "accuracy-" + System.currentTimeMillis() + "-";
            for (Map.Entry<String, List<LabelledPairs.Pair>> e : t.pairs().entrySet()) {
              curves.add(AccuracyCurve.of(e.getKey(), label, runner.pairs(prefix + namespace(e.getKey()), e.getValue())));
            }
            for (Map.Entry<String, QueryStream> e : t.streams().entrySet()) {
              AccuracyCurve c = AccuracyCurve.of(e.getKey(), label,
                  runner.stream(prefix + namespace(e.getKey()), e.getValue()));
              curves.add(c);
              Confusion target = c.lowestMeeting(STORING_TARGET);
              if (target != null && o.url() == null) {
                List<Outcome> run = runner.streamStoringMisses(namespace(e.getKey()) + "-stored", e.getValue(),
                    target.threshold());
                storing.add(new StoringRun(e.getKey(), label, target.threshold(), Confusion.at(target.threshold(), run)));
              }
            }
            if (t.gptcache() != null) {
              AccuracyRunner.GptcacheOutcomes g = runner.gptcache(prefix + "gptcache", t.gptcache());
              curves.add(AccuracyCurve.of("gptcache", label, g.byRow()));
              gptcacheByText.put(label, AccuracyCurve.of("gptcache", label, g.byOriginText()));
            }
          } finally {
            if (embedder != null) {
              embedder.close();
            }
            Directories.deleteRecursively(dir);
          }
          log.printf(Locale.ROOT, "model %s done in %.0f s%n", label, (System.nanoTime() - modelStart) / 1e9);
        }
      }
    } finally {
      Directories.deleteRecursively(clusterHome);
    }
    Map<String, List<Outcome>> exact = new LinkedHashMap<>();
    Map<String, List<Outcome>> exactStored = new LinkedHashMap<>();
    t.pairs().forEach((name, p) -> exact.put(name, ExactMatchCache.pairs(p)));
    t.streams().forEach((name, s) -> {
      exact.put(name, ExactMatchCache.stream(s, false));
      exactStored.put(name, ExactMatchCache.stream(s, true));
    });
    if (t.gptcache() != null) {
      exact.put("gptcache", ExactMatchCache.gptcache(t.gptcache()));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    Results r = new Results(curves, storing, gptcacheByText, exact, exactStored, seconds);
    report(o, t, r, out);
    return r;
  }

  /** The model's name in the report: on a backend other than embedded, followed by {@code @backend}. */
  static String backendLabel(String model, String backend) {
    return backend.equals("embedded") ? model : model + " @" + backend;
  }

  private static String namespace(String dataset) {
    return dataset.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
  }

  private static void report(Options o, AccuracyTraffic t, Results r, PrintStream out) throws java.io.IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    PrintStream summary = new PrintStream(buffer, true, StandardCharsets.UTF_8);
    String when = LocalDate.now().toString();
    summary.printf(Locale.ROOT, "## Accuracy run %s: %d cores, %s, %.0f s in all%s%n", when,
        Runtime.getRuntime().availableProcessors(), "JDK " + Runtime.version(), r.seconds(),
        o.url() == null ? "" : ", against the server at " + o.url());
    summary.println();
    summary.println("Traffic: " + describe(o, t));
    summary.println();
    summary.println("### Thresholds meeting a false-hit target (lowest grid threshold whose false-hit rate is at or under it)");
    AccuracyReport.printTargets(r.curves(), summary);
    printExact(r, summary);
    if (o.backends().size() > 1) {
      printBackends(o, r, summary);
    }
    if (t.gptcache() != null) {
      printGptcache(r, summary);
    }
    out.print(buffer.toString(StandardCharsets.UTF_8));
    for (AccuracyCurve c : r.curves()) {
      AccuracyReport.printGrid(c, out);
    }
    Files.createDirectories(o.outDir());
    Path csv = o.outDir().resolve("accuracy-" + when + ".csv");
    Path html = o.outDir().resolve("accuracy-" + when + ".html");
    Path md = o.outDir().resolve("accuracy-" + when + ".md");
    AccuracyReport.writeCsv(r.curves(), csv);
    AccuracyReport.writeHtml(r.curves(), "semcache accuracy, " + when,
        "Hit rate and false-hit rate against the similarity threshold, through the real core. " + describe(o, t), html);
    Files.writeString(md, buffer.toString(StandardCharsets.UTF_8));
    System.err.printf("wrote %s, %s and %s%n", csv, html, md);
  }

  private static String describe(Options o, AccuracyTraffic t) {
    List<String> parts = new ArrayList<>();
    t.pairs().forEach((n, p) -> parts.add(String.format(Locale.ROOT, "%s: %d pairs (%d same meaning)", n, p.size(),
        p.stream().filter(LabelledPairs.Pair::same).count())));
    t.streams().forEach((n, s) -> parts.add(String.format(Locale.ROOT, "%s: %d stored first wordings, %d queries"
            + " (%d distinct, %d never seen)", n, s.seeds().size(), s.queries().size(), s.distinctQueries().size(),
        s.queries().stream().filter(q -> !s.storedGroups().contains(q.group())).count())));
    if (t.gptcache() != null) {
      parts.add("gptcache: " + t.gptcache().size() + " origin/similar pairs");
    }
    return String.join("; ", parts) + String.format(Locale.ROOT, ". Seed %d, Zipf exponent %.2f.", o.seed(), o.zipf());
  }

  private static void printExact(Results r, PrintStream out) {
    String pct2 = AccuracyReport.pct(STORING_TARGET);
    out.println();
    out.println("### Exact-match cache (normalised prompt equality) on the same traffic, beside semcache at the lowest"
        + " threshold whose false-hit rate is at or under " + pct2);
    out.println();
    out.println("Stream datasets, as a gateway runs them (every miss stored, so a query asked again word for word hits"
        + " both caches):");
    out.println();
    out.println("| dataset | model | threshold | semcache: hit rate | semcache: false-hit rate | exact match: hit rate"
        + " | exact match: false-hit rate |");
    out.println("|---|---|---:|---:|---:|---:|---:|");
    for (StoringRun s : r.storing()) {
      Confusion e = Confusion.at(1.0, r.exactStored().get(s.dataset()));
      out.printf(Locale.ROOT, "| %s | %s | %.3f | %s | %s | %s | %s |%n", s.dataset(), s.model(), s.threshold(),
          AccuracyReport.pct(s.confusion().hitRate()), AccuracyReport.pct(s.confusion().falseHitRate()),
          AccuracyReport.pct(e.hitRate()), AccuracyReport.pct(e.falseHitRate()));
    }
    out.println();
    out.println("Only the stored first wordings (the fine grid's setting; pairs: the pair's own text_a):");
    out.println();
    out.println("| dataset | model | threshold | semcache: hit rate | semcache: recall | exact match: hit rate"
        + " | exact match: recall |");
    out.println("|---|---|---:|---:|---:|---:|---:|");
    for (AccuracyCurve c : r.curves()) {
      Confusion e = Confusion.at(1.0, r.exact().get(c.dataset()));
      Confusion s = c.lowestMeeting(STORING_TARGET);
      out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", c.dataset(), c.model(),
          s == null ? "none" : String.format(Locale.ROOT, "%.3f", s.threshold()),
          s == null ? "-" : AccuracyReport.pct(s.hitRate()), s == null ? "-" : AccuracyReport.pct(s.recall()),
          AccuracyReport.pct(e.hitRate()), AccuracyReport.pct(e.recall()));
    }
  }

  /** Grid thresholds the backends table shows. */
  static final List<Double> BACKEND_THRESHOLDS = List.of(0.80, 0.85, 0.90, 0.95);

  /**
   * The same traffic on each backend, side by side: hit rate and false-hit rate at a few thresholds, and
   * the largest differences in hits and in false hits at any threshold of the grid.
   */
  private static void printBackends(Options o, Results r, PrintStream out) {
    String other = o.backends().get(1);
    out.println();
    out.println("### Backends side by side: " + o.backends().get(0) + " and " + other + " (same traffic, same model)");
    out.println();
    StringBuilder head = new StringBuilder("| dataset | model |");
    StringBuilder rule = new StringBuilder("|---|---|");
    for (double th : BACKEND_THRESHOLDS) {
      head.append(String.format(Locale.ROOT, " %.2f: hit rate | false-hit rate |", th));
      rule.append("---:|---:|");
    }
    head.append(" largest difference over the grid: hits, false hits (of the queries) |");
    rule.append("---:|");
    out.println(head);
    out.println(rule);
    for (AccuracyCurve base : r.curves()) {
      if (!o.models().contains(base.model())) {
        continue;
      }
      String otherLabel = backendLabel(base.model(), other);
      AccuracyCurve c = r.curves().stream().filter(x -> x.dataset().equals(base.dataset()) && x.model().equals(otherLabel))
          .findFirst().orElse(null);
      if (c == null) {
        continue;
      }
      for (AccuracyCurve row : List.of(base, c)) {
        StringBuilder line = new StringBuilder("| " + row.dataset() + " | " + row.model() + " |");
        for (double th : BACKEND_THRESHOLDS) {
          Confusion x = row.at(th);
          line.append(" ").append(AccuracyReport.pct(x.hitRate())).append(" | ").append(AccuracyReport.pct(x.falseHitRate()))
              .append(" |");
        }
        if (row == base) {
          long hits = 0;
          long fp = 0;
          for (int i = 0; i < base.points().size(); i++) {
            hits = Math.max(hits, Math.abs(base.points().get(i).hits() - c.points().get(i).hits()));
            fp = Math.max(fp, Math.abs(base.points().get(i).fp() - c.points().get(i).fp()));
          }
          line.append(String.format(Locale.ROOT, " %d, %d (of %d) |", hits, fp, base.points().get(0).queries()));
        } else {
          line.append(" |");
        }
        out.println(line);
      }
    }
  }

  private static void printGptcache(Results r, PrintStream out) {
    out.println();
    out.println("### GPTCache's benchmark procedure on its mock_data.json (999 pairs)");
    out.println();
    out.println("| cache | model | threshold | correct hits | wrong hits | misses | wrong hits serving the same origin text |");
    out.println("|---|---|---:|---:|---:|---:|---:|");
    for (double th : List.of(0.9, 0.8)) {
      long[] p = GPTCACHE_PUBLISHED.get(th);
      out.printf(Locale.ROOT, "| GPTCache (published) | paraphrase-albert-onnx, L2 distance score | %.1f | %d | %d | %d | - |%n",
          th, p[0], p[1], p[2]);
      for (AccuracyCurve c : r.curves()) {
        if (c.dataset().equals("gptcache")) {
          Confusion x = c.at(th);
          Confusion byText = r.gptcacheByText().get(c.model()).at(th);
          out.printf(Locale.ROOT, "| semcache | %s, cosine | %.1f | %d | %d | %d | %d |%n", c.model(), th, x.tp(), x.fp(),
              x.queries() - x.hits(), byText.tp() - x.tp());
        }
      }
    }
    Confusion e = Confusion.at(1.0, r.exact().get("gptcache"));
    out.printf(Locale.ROOT, "| exact match | - | - | %d | %d | %d | - |%n", e.tp(), e.fp(), e.queries() - e.hits());
  }
}
