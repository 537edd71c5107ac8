package dev.semcache.bench;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import dev.semcache.bench.peers.ExactKnn;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.index.PromptNormalizer;
import dev.semcache.server.audit.Proportion;
import dev.semcache.server.judge.JudgeCoefficients;
import dev.semcache.server.judge.SecondStageJudge;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./semcache bench crowded [OPTIONS]}: the crowded-cache protocol. Per dataset and model, many
 * entries in one namespace ({@link CrowdedTraffic}); every query finds its nearest entry (exact search
 * over the stored embeddings, the exact path first); then
 *
 * <ul>
 *   <li><b>static</b>: the best single threshold chosen <em>in hindsight</em> on the measured traffic
 *       itself (the most flattering choice for it), at each wrong-answer target;</li>
 *   <li><b>verified</b>: the server's per-entry estimator replayed online ({@link VerifiedReplay}) over the
 *       training traffic, then the measured traffic, deciding each lookup before its label is seen; its
 *       namespace threshold (the prior's centre, the explore floor) is the static one chosen on the
 *       training traffic.</li>
 * </ul>
 *
 * Reported: the share of should-hit measured queries answered right, the wrong share of served answers
 * with its Clopper-Pearson 95% interval, the verdicts each needed, and the model's cost per lookup
 * (sequential embeddings, measured in the same run). Results and definitions: bench/README.md.
 */
final class CrowdedCacheBench {
  static final double[] TARGETS = {0.01, 0.02, 0.05};
  static final double BAND = 0.1;

  private CrowdedCacheBench() {}

  record Options(List<String> models, List<String> datasets, CrowdedTraffic.Sizes sizes, double auditRate, long seed,
      Path outDir, boolean judge) {
    Options(List<String> models, List<String> datasets, CrowdedTraffic.Sizes sizes, double auditRate, long seed,
        Path outDir) {
      this(models, datasets, sizes, auditRate, seed, outDir, false);
    }
  }

  static final String USAGE = """
      usage: ./semcache bench crowded [OPTIONS]
        --models LIST          models (default all-minilm-l6-v2-q,bge-small-en-v15-q)
        --datasets LIST        a subset of paws,banking77,clinc150,gptcache (default all)
        --paws-pairs N         PAWS-Wiki pairs, half training, half measured (default 2000)
        --train-per-intent N   training queries per intent (BANKING77 train, CLINC150 val; default 10)
        --measure-per-intent N measured queries per intent (the test splits; default 15)
        --audit-rate R         share of verified hits audited (default 0.05); every explore is audited
        --seed N               seed of samples, orders and audit draws (default 6)
        --out-dir DIR          where crowded-DATE.md goes (default bench/results/accuracy)
        --judge true|false     also replay verified with the second-stage judge (default true; embeds
                               every text with both bundled models, whatever --models says)
      """;

  static Options parse(String[] args) {
    List<String> models = ModelSpec.KNOWN;
    List<String> datasets = AccuracyBench.ALL_DATASETS;
    CrowdedTraffic.Sizes d = CrowdedTraffic.Sizes.defaults();
    int paws = d.pawsPairs();
    int train = d.perIntentTrain();
    int measure = d.perIntentMeasure();
    double audit = 0.05;
    long seed = 6;
    Path out = Path.of("bench/results/accuracy");
    boolean judge = true;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help")) {
        System.out.print(USAGE);
        System.exit(0);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(a + " needs a value\n" + USAGE);
      }
      String v = args[++i];
      switch (a) {
        case "--models" -> models = Arrays.stream(v.split(",")).map(String::strip).peek(ModelSpec::named).toList();
        case "--datasets" -> datasets = Arrays.stream(v.split(",")).map(String::strip).toList();
        case "--paws-pairs" -> paws = Integer.parseInt(v);
        case "--train-per-intent" -> train = Integer.parseInt(v);
        case "--measure-per-intent" -> measure = Integer.parseInt(v);
        case "--audit-rate" -> audit = Double.parseDouble(v);
        case "--seed" -> seed = Long.parseLong(v);
        case "--out-dir" -> out = Path.of(v);
        case "--judge" -> judge = Boolean.parseBoolean(v);
        default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
      }
    }
    return new Options(models, datasets, new CrowdedTraffic.Sizes(paws, train, measure), audit, seed, out, judge);
  }

  /** One measured query: the similarity of its nearest entry, whether that entry is right, whether any is. */
  record Looked(int entry, double similarity, boolean right, boolean shouldHit, double judgeProbability) {
    Looked(int entry, double similarity, boolean right, boolean shouldHit) {
      this(entry, similarity, right, shouldHit, Double.NaN);
    }
  }

  /**
   * Verified with the second-stage judge at a bound, replayed as {@code verdicts} says.
   *
   * @param gatewayVerdicts verdicts (training + measured traffic) the gateway gave
   * @param judgeVerdicts verdicts the judge gave, and {@code judgeWrong} of them disagreed with the label
   */
  record JudgedResult(double delta, VerifiedReplay.Verdicts verdicts, long hits, long wrong, long answeredRight,
      long shouldHit, long gatewayVerdicts, long judgeVerdicts, long judgeWrong, long judgeAbstained,
      StaticResult staticSameWrong) {
    double recall() {
      return shouldHit == 0 ? 0 : answeredRight / (double) shouldHit;
    }

    Proportion wrongShare() {
      return Proportion.of(wrong, hits);
    }
  }

  /** Static, best in hindsight at a target. */
  record StaticResult(double target, double threshold, long hits, long wrong, long answeredRight, long shouldHit) {
    double recall() {
      return shouldHit == 0 ? 0 : answeredRight / (double) shouldHit;
    }
  }

  /** Verified at a bound. */
  record VerifiedResult(double delta, double threshold, long hits, long wrong, long answeredRight, long shouldHit,
      long explores, long auditsTrain, long auditsMeasure, StaticResult staticSameWrong, StaticResult staticFromTraining) {
    double recall() {
      return shouldHit == 0 ? 0 : answeredRight / (double) shouldHit;
    }

    Proportion wrongShare() {
      return Proportion.of(wrong, hits);
    }
  }

  record Row(String dataset, String model, int entries, int trainQueries, int measured, long shouldHit,
      List<StaticResult> statics, List<VerifiedResult> verified, int repeatsLeftOut, List<JudgedResult> judged,
      int judgeTrainingOverlap) {}

  record ModelCost(String model, double msPerLookup, int samples) {}

  record Results(List<Row> rows, List<ModelCost> costs) {}

  public static void main(String[] args) throws Exception {
    Options o = parse(args);
    Results r = run(o, System.out);
    Files.createDirectories(o.outDir());
    Path md = o.outDir().resolve("crowded-" + LocalDate.now() + ".md");
    Files.writeString(md, markdown(r, o), StandardCharsets.UTF_8);
    System.err.println("wrote " + md);
  }

  static Results run(Options o, PrintStream out) throws Exception {
    List<CrowdedTraffic> traffic = CrowdedTraffic.all(o.datasets(), o.sizes(), o.seed());
    List<Row> rows = new ArrayList<>();
    List<ModelCost> costs = new ArrayList<>();
    // every text under every model first: the judge needs both models' similarity of each pair
    List<String> models = new ArrayList<>(o.models());
    if (o.judge()) {
      ModelSpec.KNOWN.stream().filter(m -> !models.contains(m)).forEach(models::add);
    }
    Map<String, Map<String, float[]>> vectors = new HashMap<>();
    for (String model : models) {
      try (ParallelEmbedder embedder = ParallelEmbedder.open(ModelSpec.named(model), OnnxOptions.defaults(),
          ParallelOptions.defaults())) {
        if (o.models().contains(model)) {
          costs.add(cost(embedder, traffic));
        }
        Map<String, float[]> m = new HashMap<>();
        for (CrowdedTraffic t : traffic) {
          m.putAll(embed(t, model, embedder));
        }
        vectors.put(model, m);
      }
    }
    SecondStageJudge judge = o.judge() ? new SecondStageJudge(JudgeCoefficients.bundled(), models.get(0),
        null) : null;
    java.util.Set<String> judgeTraining = o.judge() ? judgeTrainingTexts() : java.util.Set.of();
    for (String model : o.models()) {
      for (CrowdedTraffic t : traffic) {
        long t0 = System.nanoTime();
        rows.add(evaluate(t, model, vectors, judge, judgeTraining, o));
        System.err.printf("%s / %s: %.0f s%n", t.dataset(), model, (System.nanoTime() - t0) / 1e9);
      }
    }
    if (judge != null) {
      judge.close();
    }
    Results r = new Results(rows, costs);
    out.print(markdown(r, o));
    return r;
  }

  /** Mean time of one embedding, one call at a time (a lookup's embedding), after 20 to warm up. */
  static ModelCost cost(ParallelEmbedder embedder, List<CrowdedTraffic> traffic) {
    List<String> texts = new ArrayList<>();
    for (CrowdedTraffic t : traffic) {
      t.measure().stream().limit(100).forEach(l -> texts.add(l.text()));
    }
    for (int i = 0; i < Math.min(20, texts.size()); i++) {
      embedder.embed(texts.get(i));
    }
    long t0 = System.nanoTime();
    for (String s : texts) {
      embedder.embed(s);
    }
    return new ModelCost(embedder.model().name(), (System.nanoTime() - t0) / 1e6 / Math.max(1, texts.size()),
        texts.size());
  }

  /** Every text the judge was fitted on (its pairs' both sides), to count measured queries among them. */
  static java.util.Set<String> judgeTrainingTexts() throws java.io.IOException {
    java.util.Set<String> out = new HashSet<>();
    Path data = SharedDatasets.dataDir();
    JudgePairs.Sizes n = JudgePairs.Sizes.defaults();
    JudgePairs.pawsTraining(AccuracyDatasets.paws(data), n).forEach(p -> {
      out.add(p.a());
      out.add(p.b());
    });
    for (JudgePairs.Neighbourhood h : List.of(JudgePairs.banking(data, n), JudgePairs.clinc(data, n))) {
      h.stored().forEach(l -> out.add(l.text()));
      h.queries().forEach(l -> out.add(l.text()));
    }
    return out;
  }

  /**
   * The embeddings of every text of a dataset's traffic under one model; kept in bench/target (named by
   * the model and the texts' hash) when that folder exists, so that a rerun with other replays does not
   * embed again.
   */
  @SuppressWarnings("unchecked")
  static Map<String, float[]> embed(CrowdedTraffic t, String model, ParallelEmbedder embedder) {
    LinkedHashSet<String> distinct = new LinkedHashSet<>();
    t.entries().forEach(l -> distinct.add(l.text()));
    t.train().forEach(l -> distinct.add(l.text()));
    t.measure().forEach(l -> distinct.add(l.text()));
    List<String> texts = new ArrayList<>(distinct);
    Path cache = Path.of("bench/target/crowded-vectors-" + model + "-" + Integer.toHexString(texts.hashCode()) + ".ser");
    if (Files.isRegularFile(cache)) {
      try (var in = new java.io.ObjectInputStream(new java.io.BufferedInputStream(Files.newInputStream(cache)))) {
        System.err.println(t.dataset() + " / " + model + ": embeddings from " + cache);
        return (Map<String, float[]>) in.readObject();
      } catch (ClassNotFoundException | java.io.IOException e) {
        System.err.println(cache + " unreadable (" + e + "); embedding again");
      }
    }
    Map<String, float[]> vectors = embedFresh(t, model, embedder, texts);
    if (Files.isDirectory(cache.getParent())) {
      try (var o = new java.io.ObjectOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(cache)))) {
        o.writeObject(new HashMap<>(vectors));
      } catch (java.io.IOException e) {
        System.err.println("could not keep the embeddings in " + cache + ": " + e);
      }
    }
    return vectors;
  }

  private static Map<String, float[]> embedFresh(CrowdedTraffic t, String model, ParallelEmbedder embedder,
      List<String> texts) {
    Map<String, float[]> vectors = new HashMap<>();
    int batch = 256;
    for (int i = 0; i < texts.size(); i += batch) {
      List<String> part = texts.subList(i, Math.min(texts.size(), i + batch));
      List<float[]> v = embedder.embedAll(part);
      for (int j = 0; j < part.size(); j++) {
        vectors.put(part.get(j), v.get(j));
      }
      System.err.printf("\r%s / %s: embedded %d of %d", t.dataset(), model, Math.min(texts.size(), i + batch),
          texts.size());
    }
    System.err.println();
    return vectors;
  }

  static Row evaluate(CrowdedTraffic t, String model, Map<String, Map<String, float[]>> byModel,
      SecondStageJudge judge, java.util.Set<String> judgeTraining, Options o) {
    Map<String, float[]> vectors = byModel.get(model);
    Judging judging = judge == null ? null : new Judging(judge, model, byModel);
    List<float[]> entryVectors = t.entries().stream().map(l -> vectors.get(l.text())).toList();
    Map<String, Integer> exact = new HashMap<>();
    Set<String> groups = new HashSet<>();
    for (int i = 0; i < t.entries().size(); i++) {
      exact.putIfAbsent(PromptNormalizer.normalize(t.entries().get(i).text()), i);
      groups.add(t.entries().get(i).group());
    }
    // a query that repeats a stored prompt is the exact path's, served alike in both modes: left out
    List<Looked> train = look(t.train(), t.entries(), entryVectors, vectors, exact, groups, judging);
    List<Looked> measure = look(t.measure(), t.entries(), entryVectors, vectors, exact, groups, judging);
    int overlap = (int) t.measure().stream().filter(q -> judgeTraining.contains(q.text())).count();
    int repeats = (int) (train.stream().filter(l -> l.similarity() >= 1).count()
        + measure.stream().filter(l -> l.similarity() >= 1).count());
    train = train.stream().filter(l -> l.similarity() < 1).toList();
    measure = measure.stream().filter(l -> l.similarity() < 1).toList();
    long shouldHit = measure.stream().filter(Looked::shouldHit).count();
    List<StaticResult> statics = new ArrayList<>();
    List<VerifiedResult> verified = new ArrayList<>();
    for (double target : TARGETS) {
      statics.add(bestStatic(measure, target));
      double threshold = Math.min(1.0, bestStatic(train, target).threshold());
      VerifiedReplay replay = new VerifiedReplay(target, threshold, BAND, o.auditRate(), o.seed());
      for (Looked l : train) {
        if (l.similarity() < 1) {
          replay.lookup(l.entry(), l.similarity(), l.right());
        }
      }
      long auditsTrain = replay.verdicts();
      long hits = 0;
      long wrong = 0;
      long right = 0;
      long explores = 0;
      for (Looked l : measure) {
        VerifiedReplay.Outcome outcome = l.similarity() >= 1 ? VerifiedReplay.Outcome.SERVED // the exact path
            : replay.lookup(l.entry(), l.similarity(), l.right());
        if (outcome == VerifiedReplay.Outcome.SERVED) {
          hits++;
          if (l.right()) {
            right++;
          } else {
            wrong++;
          }
        } else if (outcome == VerifiedReplay.Outcome.EXPLORED) {
          explores++;
        }
      }
      double share = hits == 0 ? 0 : wrong / (double) hits;
      verified.add(new VerifiedResult(target, threshold, hits, wrong, right, shouldHit, explores, auditsTrain,
          replay.verdicts() - auditsTrain, bestStatic(measure, share), atThreshold(measure, target, threshold)));
    }
    List<JudgedResult> judged = new ArrayList<>();
    if (judging != null) {
      for (VerifiedResult v : verified) {
        for (VerifiedReplay.Verdicts source : List.of(VerifiedReplay.Verdicts.GATEWAY_AND_SURE_JUDGE,
            VerifiedReplay.Verdicts.GATEWAY_AND_JUDGE, VerifiedReplay.Verdicts.JUDGE_ONLY)) {
          judged.add(judgedReplay(train, measure, v.delta(), v.threshold(), source, shouldHit, o));
        }
      }
    }
    return new Row(t.dataset(), model, t.entries().size(), train.size(), measure.size(), shouldHit, statics,
        verified, repeats, judged, overlap);
  }

  /** Verified replayed with the judge giving (some of) the verdicts; the wrong share is always by the labels. */
  static JudgedResult judgedReplay(List<Looked> train, List<Looked> measure, double delta, double threshold,
      VerifiedReplay.Verdicts source, long shouldHit, Options o) {
    VerifiedReplay replay = new VerifiedReplay(delta, threshold, BAND, o.auditRate(), o.seed(), source);
    for (Looked l : train) {
      replay.lookup(l.entry(), l.similarity(), l.right(), l.judgeProbability());
    }
    long hits = 0;
    long wrong = 0;
    long right = 0;
    for (Looked l : measure) {
      if (replay.lookup(l.entry(), l.similarity(), l.right(), l.judgeProbability()) == VerifiedReplay.Outcome.SERVED) {
        hits++;
        if (l.right()) {
          right++;
        } else {
          wrong++;
        }
      }
    }
    double share = hits == 0 ? 0 : wrong / (double) hits;
    return new JudgedResult(delta, source, hits, wrong, right, shouldHit, replay.gatewayVerdicts(),
        replay.judgeVerdicts(), replay.judgeWrong(), replay.judgeAbstained(), bestStatic(measure, share));
  }

  /** The judge's probability of a (query, entry) pair, from both models' embeddings. */
  record Judging(SecondStageJudge judge, String model, Map<String, Map<String, float[]>> byModel) {
    double probability(String query, String entry) {
      String first = judge.coefficients().firstModel();
      String second = judge.coefficients().secondModel();
      double c1 = dev.semcache.embedding.Vectors.dot(byModel.get(first).get(query), byModel.get(first).get(entry));
      double c2 = dev.semcache.embedding.Vectors.dot(byModel.get(second).get(query), byModel.get(second).get(entry));
      return judge.probability(c1, c2, query, entry);
    }
  }

  private static List<Looked> look(List<Labelled> queries, List<Labelled> entries, List<float[]> entryVectors,
      Map<String, float[]> vectors, Map<String, Integer> exact, Set<String> groups, Judging judging) {
    List<Looked> out = new ArrayList<>();
    for (Labelled q : queries) {
      Integer e = exact.get(PromptNormalizer.normalize(q.text()));
      double s = 1.0;
      if (e == null) {
        float[] v = vectors.get(q.text());
        e = ExactKnn.topK(v, entryVectors, 1, i -> true)[0];
        s = Math.min(0.999999, dev.semcache.embedding.Vectors.dot(v, entryVectors.get(e)));
      }
      out.add(new Looked(e, s, entries.get(e).group().equals(q.group()), groups.contains(q.group()),
          judging == null || s >= 1 ? Double.NaN : judging.probability(q.text(), entries.get(e).text())));
    }
    return out;
  }

  /**
   * The threshold with the most right answers whose wrong share (wrong / served) is at most {@code target},
   * chosen knowing every label: served are the lookups at or above it. 1.0 (only exact hits) if none is.
   */
  static StaticResult bestStatic(List<Looked> looked, double target) {
    List<Looked> sorted = new ArrayList<>(looked);
    sorted.sort((a, b) -> Double.compare(b.similarity(), a.similarity()));
    long shouldHit = looked.stream().filter(Looked::shouldHit).count();
    long hits = 0;
    long wrong = 0;
    long right = 0;
    StaticResult best = null;
    for (int i = 0; i < sorted.size(); i++) {
      Looked l = sorted.get(i);
      hits++;
      if (l.right()) {
        right++;
      } else {
        wrong++;
      }
      boolean boundary = i + 1 == sorted.size() || sorted.get(i + 1).similarity() < l.similarity();
      if (boundary && wrong <= target * hits && (best == null || right > best.answeredRight())) {
        best = new StaticResult(target, l.similarity(), hits, wrong, right, shouldHit);
      }
    }
    if (best == null) {
      long exactHits = looked.stream().filter(l -> l.similarity() >= 1).count();
      long exactRight = looked.stream().filter(l -> l.similarity() >= 1 && l.right()).count();
      best = new StaticResult(target, 1.0, exactHits, exactHits - exactRight, exactRight, shouldHit);
    }
    return best;
  }

  /** A static threshold chosen beforehand (on the training traffic), as it does on the measured traffic. */
  static StaticResult atThreshold(List<Looked> looked, double target, double threshold) {
    long hits = looked.stream().filter(l -> l.similarity() >= threshold).count();
    long right = looked.stream().filter(l -> l.similarity() >= threshold && l.right()).count();
    return new StaticResult(target, threshold, hits, hits - right, right,
        looked.stream().filter(Looked::shouldHit).count());
  }

  private static String ci(Proportion p) {
    return p.known() ? String.format(Locale.ROOT, "%.1f%% [%.1f, %.1f]", 100 * p.estimate(), 100 * p.lower(),
        100 * p.upper()) : "no hits";
  }

  private static String share(long part, long whole) {
    return whole == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / whole);
  }

  static String markdown(Results r, Options o) {
    StringBuilder b = new StringBuilder();
    b.append("#### Crowded cache: static (best threshold in hindsight) vs verified (online)\n\n");
    b.append("| dataset | model | entries | measured (should hit) | static ≤1%: answered | static ≤2%: answered"
        + " | static ≤5%: answered | verified δ=1%: answered | wrong [95% CI] | verified δ=2%: answered"
        + " | wrong [95% CI] | static at that wrong share | verified / static | verified δ=5%: answered"
        + " | wrong [95% CI] | verdicts δ=2% (train + measured) |\n");
    b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : r.rows()) {
      b.append(String.format(Locale.ROOT, "| %s | %s | %d | %d (%d) |", row.dataset(), row.model(), row.entries(),
          row.measured(), row.shouldHit()));
      for (StaticResult s : row.statics()) {
        b.append(String.format(Locale.ROOT, " %.1f%% (t=%.3f) |", 100 * s.recall(), s.threshold()));
      }
      for (VerifiedResult v : row.verified()) {
        Proportion p = v.wrongShare();
        String ci = p.known() ? String.format(Locale.ROOT, "%.1f%% [%.1f, %.1f]", 100 * p.estimate(), 100 * p.lower(),
            100 * p.upper()) : "no hits";
        b.append(String.format(Locale.ROOT, " %.1f%% | %s |", 100 * v.recall(), ci));
        if (v.delta() == 0.02) {
          StaticResult s = v.staticSameWrong();
          b.append(String.format(Locale.ROOT, " %.1f%% (t=%.3f) | %s |", 100 * s.recall(), s.threshold(),
              s.answeredRight() == 0 ? (v.answeredRight() == 0 ? "-" : "∞") : String.format(Locale.ROOT, "%.2f",
                  v.answeredRight() / (double) s.answeredRight())));
        }
      }
      VerifiedResult v2 = row.verified().stream().filter(v -> v.delta() == 0.02).findFirst().orElseThrow();
      b.append(String.format(Locale.ROOT, " %d + %d |%n", v2.auditsTrain(), v2.auditsMeasure()));
    }
    b.append("\n#### Without hindsight: static threshold chosen on the training traffic, on the measured traffic\n\n");
    b.append("| dataset | model | target | threshold (training) | answered | wrong [95% CI] | verified: answered |"
        + " wrong [95% CI] |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : r.rows()) {
      for (VerifiedResult v : row.verified()) {
        StaticResult s = v.staticFromTraining();
        Proportion p = Proportion.of(s.wrong(), s.hits());
        Proportion q = v.wrongShare();
        b.append(String.format(Locale.ROOT, "| %s | %s | %.0f%% | %.3f | %.1f%% | %s | %.1f%% | %s |%n", row.dataset(),
            row.model(), 100 * v.delta(), s.threshold(), 100 * s.recall(), p.known() ? String.format(Locale.ROOT,
                "%.1f%% [%.1f, %.1f]", 100 * p.estimate(), 100 * p.lower(), 100 * p.upper()) : "no hits",
            100 * v.recall(), q.known() ? String.format(Locale.ROOT, "%.1f%% [%.1f, %.1f]", 100 * q.estimate(),
                100 * q.lower(), 100 * q.upper()) : "no hits"));
      }
    }
    b.append("\n#### Verified at δ = 2%, in detail\n\n");
    b.append("| dataset | model | queries repeating a stored prompt (left out) | namespace threshold (from training) | served | wrong | explores (measured) |"
        + " verdicts asked (training) | verdicts asked (measured) | share of measured lookups asking a verdict |\n");
    b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Row row : r.rows()) {
      VerifiedResult v = row.verified().stream().filter(x -> x.delta() == 0.02).findFirst().orElseThrow();
      b.append(String.format(Locale.ROOT, "| %s | %s | %d | %.3f | %d | %d | %d | %d | %d | %.1f%% |%n", row.dataset(),
          row.model(), row.repeatsLeftOut(), v.threshold(), v.hits(), v.wrong(), v.explores(), v.auditsTrain(), v.auditsMeasure(),
          100.0 * v.auditsMeasure() / row.measured()));
    }
    if (r.rows().stream().anyMatch(row -> !row.judged().isEmpty())) {
      b.append("\n#### Verified with the second-stage judge deciding every pair at P(same) 0.5 (its verdicts replace"
          + " labels; wrong shares by the labels)\n\n");
      b.append("gateway+judge: the judge settles explores and judges unsampled served hits below threshold + band,"
          + " the gateway's label settles sampled hits; judge only: every verdict is the judge's (a gateway that"
          + " never reports).\n\n");
      b.append("| dataset | model | measured queries in the judge's training | δ | verified (gateway): answered | wrong [95% CI]"
          + " | gateway+judge: answered | wrong [95% CI] | static at that wrong share | gateway+judge / static"
          + " | judge only: answered | wrong [95% CI] | verdicts gateway / judge (gateway+judge) | judge verdicts wrong"
          + " (gateway+judge) | verdicts judge (judge only), wrong |\n");
      b.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Row row : r.rows()) {
        for (VerifiedResult v : row.verified()) {
          JudgedResult both = row.judged().stream().filter(j -> j.delta() == v.delta()
              && j.verdicts() == VerifiedReplay.Verdicts.GATEWAY_AND_JUDGE).findFirst().orElse(null);
          JudgedResult only = row.judged().stream().filter(j -> j.delta() == v.delta()
              && j.verdicts() == VerifiedReplay.Verdicts.JUDGE_ONLY).findFirst().orElse(null);
          if (both == null || only == null) {
            continue;
          }
          StaticResult st = both.staticSameWrong();
          b.append(String.format(Locale.ROOT, "| %s | %s | %d | %.0f%% | %.1f%% | %s | %.1f%% | %s | %.1f%% (t=%.3f) | %s"
              + " | %.1f%% | %s | %d / %d | %s | %d, %s |%n", row.dataset(), row.model(), row.judgeTrainingOverlap(),
              100 * v.delta(), 100 * v.recall(), ci(v.wrongShare()), 100 * both.recall(), ci(both.wrongShare()),
              100 * st.recall(), st.threshold(), st.answeredRight() == 0 ? (both.answeredRight() == 0 ? "-" : "∞")
                  : String.format(Locale.ROOT, "%.2f", both.answeredRight() / (double) st.answeredRight()),
              100 * only.recall(), ci(only.wrongShare()), both.gatewayVerdicts(), both.judgeVerdicts(),
              share(both.judgeWrong(), both.judgeVerdicts()), only.judgeVerdicts(),
              share(only.judgeWrong(), only.judgeVerdicts())));
        }
      }
    }
    if (r.rows().stream().anyMatch(row -> !row.judged().isEmpty())) {
      b.append(String.format(Locale.ROOT, "%n#### Verified with the sure judge (the server's behaviour: a verdict only"
          + " at P(same) >= %.2f or <= %.2f; unsure explores settled by the gateway's label)%n%n",
          SecondStageJudge.CORRECT_AT, SecondStageJudge.FALSE_AT));
      b.append("| dataset | model | δ | verified (gateway): answered | wrong [95% CI] | gateway+sure judge: answered"
          + " | wrong [95% CI] | static at that wrong share | gateway+sure judge / static | verdicts gateway / judge"
          + " | judge verdicts wrong | judge unsure |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      for (Row row : r.rows()) {
        for (VerifiedResult v : row.verified()) {
          JudgedResult j = row.judged().stream().filter(x -> x.delta() == v.delta()
              && x.verdicts() == VerifiedReplay.Verdicts.GATEWAY_AND_SURE_JUDGE).findFirst().orElse(null);
          if (j == null) {
            continue;
          }
          StaticResult st = j.staticSameWrong();
          b.append(String.format(Locale.ROOT, "| %s | %s | %.0f%% | %.1f%% | %s | %.1f%% | %s | %.1f%% (t=%.3f) | %s"
              + " | %d / %d | %s | %d |%n", row.dataset(), row.model(), 100 * v.delta(), 100 * v.recall(),
              ci(v.wrongShare()), 100 * j.recall(), ci(j.wrongShare()), 100 * st.recall(), st.threshold(),
              st.answeredRight() == 0 ? (j.answeredRight() == 0 ? "-" : "∞")
                  : String.format(Locale.ROOT, "%.2f", j.answeredRight() / (double) st.answeredRight()),
              j.gatewayVerdicts(), j.judgeVerdicts(), share(j.judgeWrong(), j.judgeVerdicts()), j.judgeAbstained()));
        }
      }
    }
    b.append("\n#### Cost per lookup (one embedding at a time, same run)\n\n| model | ms per embedding | texts |\n"
        + "|---|---:|---:|\n");
    for (ModelCost c : r.costs()) {
      b.append(String.format(Locale.ROOT, "| %s | %.2f | %d |%n", c.model(), c.msPerLookup(), c.samples()));
    }
    b.append(String.format(Locale.ROOT, "%nOptions: audit rate %.2f of verified hits, seed %d, sizes %s, judge %s.%n",
        o.auditRate(), o.seed(), o.sizes(), o.judge()));
    return b.toString();
  }
}
