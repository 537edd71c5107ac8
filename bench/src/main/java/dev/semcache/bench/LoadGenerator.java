package dev.semcache.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxEmbedder;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.TokenizedText;
import dev.semcache.index.Directories;
import dev.semcache.server.config.ConfigLoader;
import dev.semcache.server.config.ServerConfig;
import dev.semcache.opensearch.testcluster.TestCluster;
import dev.semcache.server.http.SemcacheServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongFunction;

/**
 * {@code ./semcache bench load [OPTIONS]}: semcache under HTTP load on loopback, against two ceilings
 * measured in the same process run.
 *
 * <ol>
 *   <li><b>floor</b>: {@link FloorServer}, a bare Netty server that answers every POST /v1/lookup with
 *       {@code {"hit":false}}: what HTTP costs on this machine with this client.
 *   <li><b>embed</b>: the model's raw batched throughput ({@link OnnxEmbedder#runBatch} over batches of
 *       32 distinct texts of one token length, as {@code EmbedBenchmark.batch32}), in texts/s.
 *   <li><b>semcache</b>: an in-process {@link SemcacheServer} with the default config (port 0, a temporary
 *       data dir), preloaded through the API with {@code --entries} distinct real prompts, then the
 *       scenarios {@code exact} (stored prompts verbatim), {@code semantic} (stored prompts lightly
 *       altered: embedded, then found by similarity; the answers say whether each was a semantic hit and
 *       on which entry), {@code miss} (never stored prompts, looked up in the namespace {@code bench-miss},
 *       which holds nothing) and {@code store} (new distinct prompts stored).
 * </ol>
 *
 * <p>Every HTTP scenario runs at each {@code --connections} count with the closed-loop {@link LoadClient}:
 * a warm-up, then the measured window. Results: a Markdown table on stdout, a JSON file (default
 * {@code bench/results/load-DATE.json}), progress on stderr. See bench/README.md.
 */
final class LoadGenerator {
  static final String NAMESPACE = "bench";
  static final String MISS_NAMESPACE = "bench-miss";
  static final List<String> ALL_SCENARIOS = List.of("floor", "embed", "exact", "semantic", "miss", "store");
  static final Set<String> SEMCACHE_SCENARIOS = Set.of("exact", "semantic", "miss", "store");
  private static final int EMBED_BATCH = 32;
  /** Base prompts for the miss and the store scenarios, each (distinct for 7 times as many requests). */
  private static final int OTHER_PROMPTS = 2000;
  private static final int PRELOAD_CONNECTIONS = 16;
  private static final String RESPONSE = "Here is a cached answer of ordinary length, standing in for what a"
      + " language model said the first time this was asked. It runs to a few sentences so that a hit returns"
      + " a realistic body rather than a single word: the size of the answer is part of what an exact hit"
      + " costs, in JSON encoding and on the wire. Entry ";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper BODIES = new ObjectMapper();

  private LoadGenerator() {}

  record Options(List<Integer> connections, double durationS, double warmupS, double embedS, int entries,
      List<String> scenarios, Path out, int clientThreads, List<String> backends, int rounds) {

    boolean has(String scenario) {
      return scenarios.contains(scenario);
    }

    boolean anySemcache() {
      return scenarios.stream().anyMatch(SEMCACHE_SCENARIOS::contains);
    }
  }

  static final String USAGE = """
      usage: ./semcache bench load [OPTIONS]
        --connections LIST   connection counts, each scenario runs at each (default 16,64)
        --duration-s S       measured seconds per scenario and connection count (default 15)
        --warmup-s S         unmeasured seconds before each (default 10)
        --embed-s S          measured seconds of the raw embedding throughput (default 10)
        --entries N          prompts stored through the API before the scenarios (default 2000)
        --scenarios LIST     a subset of floor,embed,exact,semantic,miss,store (default all)
        --client-threads N   the load client's event loops (default: one per core)
        --backends LIST      storage backends the semcache scenarios run on, one after the other:
                             embedded, opensearch-1, opensearch-2 (an OpenSearch k-NN cluster of 1 or 2
                             nodes started on loopback for the run; default embedded)
        --rounds N           run the scenarios N times at each connection count, alternating them round by
                             round with the floor server up beside semcache; ratios are per round, with their
                             median (default 1: each scenario once, the floor before semcache starts)
        --out FILE           the JSON result (default bench/results/load-DATE.json)
      """;

  static void main(String[] args) throws Exception {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("load: " + e.getMessage());
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (o == null) {
      System.out.print(USAGE);
      return;
    }
    run(o);
  }

  static Options parse(String[] args) {
    List<Integer> connections = List.of(16, 64);
    double duration = 15;
    double warmup = 10; // the JIT needs it: at 3 s the exact path was still speeding up
    double embed = 10;
    int entries = 2000;
    List<String> scenarios = ALL_SCENARIOS;
    Path out = null;
    int clientThreads = Runtime.getRuntime().availableProcessors();
    List<String> backends = List.of("embedded");
    int rounds = 1;
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
          case "--connections" -> connections = Arrays.stream(value.split(",")).map(String::trim)
              .map(Integer::parseInt).peek(c -> positive("--connections", c)).distinct().toList();
          case "--duration-s" -> duration = positive("--duration-s", Double.parseDouble(value));
          case "--warmup-s" -> warmup = notNegative("--warmup-s", Double.parseDouble(value));
          case "--embed-s" -> embed = positive("--embed-s", Double.parseDouble(value));
          case "--entries" -> entries = (int) positive("--entries", Integer.parseInt(value));
          case "--client-threads" -> clientThreads = (int) positive("--client-threads", Integer.parseInt(value));
          case "--out" -> out = Path.of(value);
          case "--rounds" -> rounds = (int) positive("--rounds", Integer.parseInt(value));
          case "--backends" -> {
            backends = Arrays.stream(value.split(",")).map(String::trim).distinct().toList();
            for (String b : backends) {
              if (!b.equals("embedded") && !b.matches("opensearch-[1-9]")) {
                throw new IllegalArgumentException("--backends: embedded or opensearch-N (N nodes, 1 to 9); got " + b);
              }
            }
          }
          case "--scenarios" -> {
            Set<String> wanted = new LinkedHashSet<>();
            for (String s : value.split(",")) {
              String n = s.trim().toLowerCase(Locale.ROOT);
              if (!ALL_SCENARIOS.contains(n)) {
                throw new IllegalArgumentException("unknown scenario '" + s + "'; scenarios: " + ALL_SCENARIOS);
              }
              wanted.add(n);
            }
            scenarios = ALL_SCENARIOS.stream().filter(wanted::contains).toList(); // always in this order
          }
          default -> throw new IllegalArgumentException("unknown option " + a);
        }
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(a + ": not a number: " + value);
      }
    }
    if (connections.isEmpty() || scenarios.isEmpty()) {
      throw new IllegalArgumentException("--connections and --scenarios must not be empty");
    }
    if (out == null) {
      out = defaultOut();
    }
    return new Options(connections, duration, warmup, embed, entries, scenarios, out, clientThreads, backends, rounds);
  }

  private static double positive(String name, double v) {
    if (!(v > 0)) {
      throw new IllegalArgumentException(name + " must be positive; got " + v);
    }
    return v;
  }

  private static double notNegative(String name, double v) {
    if (!(v >= 0)) {
      throw new IllegalArgumentException(name + " must not be negative; got " + v);
    }
    return v;
  }

  /** bench/results/load-DATE.json (-2, -3... if taken), beside bench/target when the launcher says where that is. */
  private static Path defaultOut() {
    String benchTarget = System.getProperty("semcache.bench.dir");
    Path results = benchTarget != null ? Path.of(benchTarget).toAbsolutePath().getParent().resolve("results")
        : Path.of("bench", "results");
    String base = "load-" + LocalDate.now();
    Path p = results.resolve(base + ".json");
    for (int n = 2; Files.exists(p); n++) {
      p = results.resolve(base + "-" + n + ".json");
    }
    return p;
  }

  // ------------------------------------------------------------------ the run

  /** One measured row of the table; {@code round} counts from 1 ({@code --rounds}). */
  record Row(String scenario, LoadClient.Result result, double meanTokens, long serverCpuNanos, int round) {
    /** The server's CPU time per answered request in the window, in microseconds (NaN if unknown). */
    double cpuMicrosPerRequest() {
      return serverCpuNanos < 0 || result.ok() == 0 ? Double.NaN : serverCpuNanos / 1e3 / result.ok();
    }
  }

  private static final ServerCpu CPU = new ServerCpu();

  /** A timed run with the CPU time of the server's threads ({@code prefix}) in its window. */
  private static Row timedRow(LoadClient client, String scenario, String prefix, int port, int c,
      LoadClient.Source source, Options o, Map<String, Double> tokens, int round) {
    if (o.rounds() > 1) {
      System.err.printf("load: round %d of %d: %s at %d connections%n", round, o.rounds(), scenario, c);
    }
    ServerCpu.Window w = CPU.window(prefix, o.warmupS(), o.durationS());
    LoadClient.Result r = client.timed(scenario, port, c, source, o.warmupS(), o.durationS());
    return new Row(scenario, r, tokens.getOrDefault(base(scenario), Double.NaN), w.nanos(), round);
  }

  static void run(Options o) throws Exception {
    int cores = Runtime.getRuntime().availableProcessors();
    String java = System.getProperty("java.version") + " (" + System.getProperty("java.vm.vendor") + ")";
    System.err.printf("load: %d cores, Java %s; scenarios %s at %s connections, warm-up %s s, %s s each%n", cores,
        java, o.scenarios(), o.connections(), fmt(o.warmupS()), fmt(o.durationS()));
    List<Row> rows = new ArrayList<>();
    Map<String, Double> tokens = new LinkedHashMap<>();
    double embedTextsPerS = Double.NaN;
    int embedTokens = 0;
    double preloadS = Double.NaN;
    LoadPrompts prompts = null;
    ModelSpec model = ModelSpec.named(ModelSpec.DEFAULT);

    boolean needPrompts = o.has("floor") || o.anySemcache();
    try (OnnxEmbedder embedder = OnnxEmbedder.open(model, OnnxOptions.defaults())) {
      List<TokenizedText> batchTexts = BenchTexts.equalLength(embedder::tokenize, 2 * EMBED_BATCH);
      embedTokens = batchTexts.get(0).length();
      if (needPrompts) {
        System.err.printf("load: choosing prompts near %d tokens from ../shared/data%n", embedTokens - 1);
        prompts = LoadPrompts.build(embedder::tokenize, o.entries(), OTHER_PROMPTS, embedTokens - 1,
            model.maxTokens());
        LoadPrompts p = prompts;
        int n = Math.min(2000, p.entries());
        tokens.put("exact", LoadPrompts.meanTokens(embedder::tokenize, p::exact, n));
        tokens.put("floor", tokens.get("exact"));
        tokens.put("semantic", LoadPrompts.meanTokens(embedder::tokenize, p::semantic, n));
        tokens.put("miss", LoadPrompts.meanTokens(embedder::tokenize, p::miss, n));
        tokens.put("store", LoadPrompts.meanTokens(embedder::tokenize, p::store, n));
      }
      if (o.has("embed")) {
        embedTextsPerS = measureEmbedding(embedder, batchTexts, o.warmupS(), o.embedS());
      }
    }

    try (LoadClient client = new LoadClient(o.clientThreads());
        FloorServer floor = o.has("floor") ? new FloorServer(cores) : null) {
      Floor alternated = null;
      if (floor != null) {
        System.err.printf("load: floor server on port %d%n", floor.port());
        LoadClient.Source lookups = exactSource(prompts, NAMESPACE);
        if (o.rounds() == 1 || !o.anySemcache()) {
          for (int round = 1; round <= o.rounds(); round++) {
            for (int c : o.connections()) {
              rows.add(timedRow(client, "floor", "floor-", floor.port(), c, lookups, o, tokens, round));
            }
          }
        } else {
          alternated = new Floor(floor.port(), lookups);
        }
      }
      if (o.anySemcache()) {
        for (String backend : o.backends()) {
          double s = runSemcache(o, backend, client, prompts, rows, tokens, alternated);
          alternated = null; // the floor's rounds run beside the first backend only
          if (backend.equals("embedded") || Double.isNaN(preloadS)) {
            preloadS = s;
          }
        }
      }
    }

    Report report = new Report(o, cores, java, model.name(), embedTextsPerS, embedTokens, preloadS, rows);
    System.out.print(report.markdown());
    Files.createDirectories(o.out().toAbsolutePath().getParent());
    JSON.writeValue(o.out().toFile(), report.json());
    System.err.println("load: wrote " + o.out());
  }

  /** The scenario a row measured, without its backend ({@code "exact @opensearch-2"} is {@code "exact"}). */
  static String base(String scenario) {
    int at = scenario.indexOf(" @");
    return at < 0 ? scenario : scenario.substring(0, at);
  }

  /**
   * Starts semcache on {@code backend} (for {@code opensearch-N}, a fresh N-node OpenSearch cluster with the
   * k-NN plugin on loopback, one replica from 2 nodes up), preloads it, runs its scenarios; returns the
   * preload's seconds. Rows of a backend other than embedded are named {@code "SCENARIO @BACKEND"}.
   */
  private static double runSemcache(Options o, String backend, LoadClient client, LoadPrompts prompts, List<Row> rows,
      Map<String, Double> tokens, Floor floor) throws IOException {
    Path dir = Files.createTempDirectory("semcache-load");
    String suffix = backend.equals("embedded") ? "" : " @" + backend;
    TestCluster cluster = null;
    // The same config as './semcache serve' (SEMCACHE_* variables and SEMCACHE_CONFIG apply, so a
    // deployment's settings can be measured), on a free loopback port and a fresh folder, without keys.
    Map<String, Object> flags = new java.util.HashMap<>();
    flags.put("host", "127.0.0.1");
    flags.put("port", 0);
    flags.put("data_dir", dir.toString());
    if (!backend.equals("embedded")) {
      int nodes = Integer.parseInt(backend.substring("opensearch-".length()));
      System.err.printf("load: starting a %d-node OpenSearch cluster for %s%n", nodes, backend);
      cluster = TestCluster.start(nodes, dir.resolve("cluster"), TestCluster.BENCH_JVM);
      flags.put("storage.backend", "opensearch");
      flags.put("storage.opensearch.hosts", cluster.hosts());
      flags.put("storage.opensearch.replicas", nodes > 1 ? 1 : 0);
    }
    ServerConfig loaded = ConfigLoader.load(null, System.getenv(), flags);
    ServerConfig config = new ServerConfig(loaded.host(), loaded.port(), loaded.dataDir(), loaded.model(), loaded.http(),
        loaded.embedding(), loaded.storage(), loaded.audits(), loaded.namespaceDefaults(), java.util.List.of());
    try (TestCluster clusterInUse = cluster; SemcacheServer server = SemcacheServer.start(config, InstantSource.system(), null)) {
      server.awaitReady(Duration.ofMinutes(5));
      int port = server.port();
      System.err.printf("load: semcache ready on port %d (%s, data in %s); storing %d entries%n", port, backend, dir,
          prompts.entries());
      AtomicLong preloaded = new AtomicLong();
      LoadClient.Result preload = client.finite("preload", port, PRELOAD_CONNECTIONS, () -> {
        long i = preloaded.getAndIncrement();
        return i < prompts.entries() ? store(NAMESPACE, prompts.exact(i), i) : null;
      });
      if (preload.errors() > 0 || preload.ok() != prompts.entries()) {
        throw new IllegalStateException("the preload stored " + preload.ok() + " of " + prompts.entries()
            + " entries; statuses " + preload.statuses() + ", " + preload.ioErrors() + " connection errors");
      }
      System.err.printf("load: stored %d entries in %.1f s (%.0f/s)%n", preload.ok(), preload.seconds(),
          preload.perSecond());
      Map<String, LoadClient.Source> sources = new LinkedHashMap<>();
      for (String scenario : o.scenarios()) {
        if (SEMCACHE_SCENARIOS.contains(scenario)) {
          sources.put(scenario, switch (scenario) {
            case "exact" -> exactSource(prompts, NAMESPACE);
            case "semantic" -> indexed(i -> new LoadClient.Req("/v1/lookup",
                lookup(NAMESPACE, prompts.semantic(i)), prompts.semanticSource(i)));
            case "miss" -> indexed(i -> new LoadClient.Req("/v1/lookup", lookup(MISS_NAMESPACE, prompts.miss(i)), null));
            case "store" -> indexed(i -> store(NAMESPACE, prompts.store(i), prompts.entries() + i));
            default -> throw new IllegalStateException(scenario);
          });
        }
      }
      if (o.rounds() == 1) {
        for (var s : sources.entrySet()) {
          for (int c : o.connections()) {
            rows.add(timedRow(client, s.getKey() + suffix, "semcache-", port, c, s.getValue(), o, tokens, 1));
          }
        }
      } else {
        // Round by round, the floor (when asked for) right before semcache's scenarios: a ratio compares
        // windows seconds apart, so a slow spell of a shared machine weighs on both sides of it.
        for (int c : o.connections()) {
          for (int round = 1; round <= o.rounds(); round++) {
            if (floor != null) {
              rows.add(timedRow(client, "floor", "floor-", floor.port(), c, floor.lookups(), o, tokens, round));
            }
            for (var s : sources.entrySet()) {
              rows.add(timedRow(client, s.getKey() + suffix, "semcache-", port, c, s.getValue(), o, tokens, round));
            }
          }
        }
      }
      return preload.seconds();
    } finally {
      Directories.deleteRecursively(dir);
    }
  }

  /** The floor server's port and its lookups, when it runs round by round beside semcache. */
  private record Floor(int port, LoadClient.Source lookups) {}

  /** The stored prompts, verbatim, as lookups (bodies encoded once: this is the fastest path). */
  private static LoadClient.Source exactSource(LoadPrompts prompts, String namespace) {
    List<String> texts = prompts != null ? prompts.stored : BenchTexts.gptcacheSentences();
    byte[][] bodies = new byte[texts.size()][];
    for (int i = 0; i < bodies.length; i++) {
      bodies[i] = lookup(namespace, texts.get(i));
    }
    return indexed(i -> new LoadClient.Req("/v1/lookup", bodies[(int) (i % bodies.length)], null));
  }

  /** An endless source: request {@code i} of the scenario, {@code i} counting on across connection counts. */
  private static LoadClient.Source indexed(LongFunction<LoadClient.Req> request) {
    AtomicLong next = new AtomicLong();
    return () -> request.apply(next.getAndIncrement());
  }

  private static byte[] lookup(String namespace, String prompt) {
    ObjectNode n = JSON.createObjectNode().put("namespace", namespace).put("prompt", prompt);
    return bytes(n);
  }

  private static LoadClient.Req store(String namespace, String prompt, long entry) {
    ObjectNode n = JSON.createObjectNode().put("namespace", namespace).put("prompt", prompt)
        .put("response", RESPONSE + entry + ".");
    return new LoadClient.Req("/v1/entries", bytes(n), null);
  }

  private static byte[] bytes(ObjectNode n) {
    try {
      return BODIES.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The model's raw throughput: one inference over 32 distinct equal-length texts at a time, as EmbedBenchmark.batch32. */
  private static double measureEmbedding(OnnxEmbedder embedder, List<TokenizedText> texts, double warmupS,
      double seconds) {
    System.err.printf("load: raw embedding, batches of %d texts of %d tokens: %s s warm-up, %s s measured%n",
        EMBED_BATCH, texts.get(0).length(), fmt(warmupS), fmt(seconds));
    int next = 0;
    long start = System.nanoTime();
    long measureStart = start + (long) (warmupS * 1e9);
    long end = measureStart + (long) (seconds * 1e9);
    long measuredTexts = 0;
    long firstMeasured = -1;
    long last = start;
    long lastReport = start;
    long reportedTexts = 0;
    long allTexts = 0;
    while (last < end) {
      long before = System.nanoTime();
      embedder.runBatch(texts.subList(next, next + EMBED_BATCH));
      next = (next + EMBED_BATCH) % (texts.size() - EMBED_BATCH);
      last = System.nanoTime();
      allTexts += EMBED_BATCH;
      if (before >= measureStart) {
        if (firstMeasured < 0) {
          firstMeasured = before;
        }
        measuredTexts += EMBED_BATCH;
      }
      if (last - lastReport >= 1_000_000_000L) {
        System.err.printf("  [embed] %s: %d texts, %.0f texts/s now%n",
            last < measureStart ? String.format("warm-up %.0f/%s s", (last - start) / 1e9, fmt(warmupS))
                : String.format("%.0f/%s s", (last - measureStart) / 1e9, fmt(seconds)),
            allTexts, (allTexts - reportedTexts) / ((last - lastReport) / 1e9));
        lastReport = last;
        reportedTexts = allTexts;
      }
    }
    double rate = firstMeasured < 0 ? 0 : measuredTexts / ((last - firstMeasured) / 1e9);
    System.err.printf("load: raw embedding %.0f texts/s%n", rate);
    return rate;
  }

  static String fmt(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
  }

  // ------------------------------------------------------------------ the report

  record Report(Options o, int cores, String java, String model, double embedTextsPerS, int embedTokens,
      double preloadS, List<Row> rows) {

    private Row find(String scenario, int connections, int round) {
      return rows.stream().filter(r -> r.scenario().equals(scenario) && r.result().connections() == connections
          && r.round() == round).findFirst().orElse(null);
    }

    /** A ratio of one round; null where a side is missing. */
    interface RoundRatio {
      Double of(String scenario, int connections, int round);
    }

    private Double vsFloor(String scenario, int c, int round) {
      Row r = find(scenario, c, round);
      Row floor = find("floor", c, round);
      return r == null || floor == null || floor.result().perSecond() == 0 ? null
          : r.result().perSecond() / floor.result().perSecond();
    }

    /** Floor CPU per request over the scenario's: the share of the floor's capacity, from CPU, not req/s. */
    private Double vsFloorCpu(String scenario, int c, int round) {
      Row r = find(scenario, c, round);
      Row floor = find("floor", c, round);
      return r == null || floor == null || Double.isNaN(r.cpuMicrosPerRequest()) || Double.isNaN(floor.cpuMicrosPerRequest())
          ? null : floor.cpuMicrosPerRequest() / r.cpuMicrosPerRequest();
    }

    private Double vsEmbed(String scenario, int c, int round) {
      Row r = find(scenario, c, round);
      return r == null || !(embedTextsPerS > 0) ? null : r.result().perSecond() / embedTextsPerS;
    }

    /** The ratio in each round that has both sides, in round order. */
    private List<Double> byRound(RoundRatio ratio, String scenario, int c) {
      List<Double> v = new ArrayList<>();
      for (int round = 1; round <= o.rounds(); round++) {
        Double x = ratio.of(scenario, c, round);
        if (x != null) {
          v.add(x);
        }
      }
      return v;
    }

    /** The median over the rounds (the one value with a single round); null when no round has both sides. */
    private Double median(RoundRatio ratio, String scenario, int c) {
      List<Double> v = new ArrayList<>(byRound(ratio, scenario, c));
      if (v.isEmpty()) {
        return null;
      }
      v.sort(null);
      int n = v.size();
      return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    String markdown() {
      StringBuilder s = new StringBuilder();
      s.append(String.format("## ./semcache bench load, %s%n%n", LocalDate.now()));
      s.append(String.format("%d cores, Java %s, model %s; %s s warm-up then %s s measured per row; closed loop,"
          + " one keep-alive connection per client, on loopback.%n%n", cores, java, model, fmt(o.warmupS()),
          fmt(o.durationS())));
      if (!rows.isEmpty()) {
        s.append("| scenario | connections | req/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | errors"
            + " | exact hits | semantic hits | misses | tokens/prompt | server CPU µs/req |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Row row : rows) {
          LoadClient.Result r = row.result();
          boolean lookups = !base(row.scenario()).equals("store") && !base(row.scenario()).equals("floor");
          s.append(String.format(Locale.ROOT, "| %s | %d | %.0f | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s |%n",
              o.rounds() > 1 ? row.scenario() + " #" + row.round() : row.scenario(), r.connections(), r.perSecond(), ms(r.ms(50)), ms(r.ms(90)), ms(r.ms(99)),
              ms(r.ms(99.9)), ms(r.maxMs()), r.errors(),
              lookups ? pct(r.fraction("HIT-EXACT")) : "", lookups ? pct(r.fraction("HIT-SEMANTIC")) : "",
              lookups ? pct(r.fraction("MISS")) : "",
              Double.isNaN(row.meanTokens()) || base(row.scenario()).equals("exact") || base(row.scenario()).equals("floor")
                  ? "" : String.format(Locale.ROOT, "%.1f", row.meanTokens()),
              Double.isNaN(row.cpuMicrosPerRequest()) ? "" : String.format(Locale.ROOT, "%.1f", row.cpuMicrosPerRequest())));
        }
        s.append('\n');
      }
      if (embedTextsPerS > 0) {
        s.append(String.format(Locale.ROOT, "Raw embedding: **%.0f texts/s** (one inference over %d distinct texts of"
            + " %d tokens at a time, %s s).%n", embedTextsPerS, EMBED_BATCH, embedTokens, fmt(o.embedS())));
      }
      if (!Double.isNaN(preloadS)) {
        s.append(String.format(Locale.ROOT, "Preloaded %d entries through POST /v1/entries in %.1f s (%.0f/s, %d"
            + " connections).%n", o.entries(), preloadS, o.entries() / preloadS, PRELOAD_CONNECTIONS));
      }
      for (Row row : rows) {
        LoadClient.Result r = row.result();
        if (base(row.scenario()).equals("semantic") && r.semanticChecked() > 0) {
          s.append(String.format(Locale.ROOT, "semantic at %d connections: %s of the answers were semantic hits,"
                  + " %s of those on the entry the prompt was altered from.%n", r.connections(),
              pct(r.fraction("HIT-SEMANTIC")), pct(r.semanticOnSource() / (double) r.semanticChecked())));
        }
        if (r.errors() > 0) {
          s.append(String.format("%s at %d connections: %d errors: statuses %s, %d lost to connection failures,"
              + " %d unanswered at the end.%n", row.scenario(), r.connections(), r.errors(), r.statuses(),
              r.ioErrors(), r.unanswered()));
        }
      }
      boolean anyRatio = false;
      StringBuilder t = new StringBuilder();
      if (o.rounds() > 1) {
        t.append(String.format("%nRatios are the median of %d rounds (the rows marked #1 to #%d), each round's"
            + " scenarios run seconds apart.%n", o.rounds(), o.rounds()));
      }
      t.append("\n| connections | exact ÷ floor (goal ≥ 0.5) | exact ÷ floor by server CPU per request"
          + " | semantic ÷ raw embedding (goal ≥ 0.8) | miss ÷ raw embedding | store ÷ raw embedding |\n"
          + "|---:|---:|---:|---:|---:|---:|\n");
      StringBuilder perRound = new StringBuilder();
      for (int c : o.connections()) {
        Double[] v = {median(this::vsFloor, "exact", c), median(this::vsFloorCpu, "exact", c),
            median(this::vsEmbed, "semantic", c), median(this::vsEmbed, "miss", c), median(this::vsEmbed, "store", c)};
        List<Double> rounds = byRound(this::vsFloor, "exact", c);
        if (o.rounds() > 1 && !rounds.isEmpty()) {
          perRound.append(String.format(Locale.ROOT, "exact ÷ floor at %d connections, round by round: %s.%n", c,
              String.join(", ", rounds.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList())));
        }
        if (Arrays.stream(v).allMatch(x -> x == null)) {
          continue;
        }
        anyRatio = true;
        t.append("| ").append(c);
        for (Double x : v) {
          t.append(" | ").append(x == null ? "" : String.format(Locale.ROOT, "%.2f", x));
        }
        t.append(" |\n");
      }
      if (anyRatio) {
        s.append(t);
        if (!perRound.isEmpty()) {
          s.append('\n').append(perRound);
        }
      }
      return s.toString();
    }

    ObjectNode json() {
      ObjectNode root = JSON.createObjectNode();
      root.put("benchmark", "load");
      root.put("date", Instant.now().toString());
      ObjectNode machine = root.putObject("machine");
      machine.put("cores", cores);
      machine.put("java", java);
      machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
          + System.getProperty("os.arch"));
      ObjectNode opts = root.putObject("options");
      ArrayNode conns = opts.putArray("connections");
      o.connections().forEach(conns::add);
      opts.put("duration_s", o.durationS());
      opts.put("warmup_s", o.warmupS());
      opts.put("embed_s", o.embedS());
      opts.put("entries", o.entries());
      ArrayNode sc = opts.putArray("scenarios");
      o.scenarios().forEach(sc::add);
      ArrayNode bk = opts.putArray("backends");
      o.backends().forEach(bk::add);
      opts.put("client_threads", o.clientThreads());
      opts.put("rounds", o.rounds());
      root.put("model", model);
      if (embedTextsPerS > 0) {
        ObjectNode e = root.putObject("raw_embedding");
        e.put("texts_per_s", round(embedTextsPerS));
        e.put("batch", EMBED_BATCH);
        e.put("tokens_per_text", embedTokens);
      }
      if (!Double.isNaN(preloadS)) {
        root.putObject("preload").put("entries", o.entries()).put("seconds", round(preloadS))
            .put("stores_per_s", round(o.entries() / preloadS));
      }
      ArrayNode runs = root.putArray("runs");
      for (Row row : rows) {
        LoadClient.Result r = row.result();
        ObjectNode n = runs.addObject();
        n.put("target", base(row.scenario()).equals("floor") ? "floor" : "semcache");
        n.put("scenario", row.scenario());
        n.put("round", row.round());
        n.put("connections", r.connections());
        n.put("seconds", r.seconds());
        n.put("requests", r.ok());
        n.put("requests_per_s", round(r.perSecond()));
        n.put("p50_ms", round(r.ms(50)));
        n.put("p90_ms", round(r.ms(90)));
        n.put("p99_ms", round(r.ms(99)));
        n.put("p999_ms", round(r.ms(99.9)));
        n.put("max_ms", round(r.maxMs()));
        n.put("errors", r.errors());
        if (!Double.isNaN(row.cpuMicrosPerRequest())) {
          n.put("server_cpu_us_per_request", round(row.cpuMicrosPerRequest()));
        }
        ObjectNode st = n.putObject("status_codes");
        r.statuses().forEach((k, v) -> st.put(String.valueOf(k), v));
        ObjectNode cs = n.putObject("x_cache_status");
        r.cacheStatus().forEach(cs::put);
        n.put("connection_errors", r.ioErrors());
        n.put("unanswered", r.unanswered());
        if (!base(row.scenario()).equals("store") && !base(row.scenario()).equals("floor")) {
          ObjectNode h = n.putObject("hit_fractions");
          h.put("exact", round(r.fraction("HIT-EXACT")));
          h.put("semantic", round(r.fraction("HIT-SEMANTIC")));
          h.put("miss", round(r.fraction("MISS")));
        }
        if (base(row.scenario()).equals("semantic") && r.semanticChecked() > 0) {
          n.put("semantic_hits_on_source_fraction", round(r.semanticOnSource() / (double) r.semanticChecked()));
        }
        if (!Double.isNaN(row.meanTokens())) {
          n.put("mean_prompt_tokens", round(row.meanTokens()));
        }
      }
      ArrayNode ratios = root.putArray("ratios");
      for (int c : o.connections()) {
        // With rounds, each ratio is the median over them, and "..._by_round" lists them.
        ObjectNode n = ratios.addObject().put("connections", c);
        putRatio(n, "exact_vs_floor", median(this::vsFloor, "exact", c));
        putRatio(n, "exact_vs_floor_by_server_cpu", median(this::vsFloorCpu, "exact", c));
        putRatio(n, "semantic_vs_raw_embedding", median(this::vsEmbed, "semantic", c));
        putRatio(n, "miss_vs_raw_embedding", median(this::vsEmbed, "miss", c));
        putRatio(n, "store_vs_raw_embedding", median(this::vsEmbed, "store", c));
        if (o.rounds() > 1) {
          ArrayNode each = n.putArray("exact_vs_floor_by_round");
          byRound(this::vsFloor, "exact", c).forEach(x -> each.add(round(x)));
        }
      }
      ObjectNode goals = root.putObject("goals");
      goals.put("exact_vs_floor", 0.5);
      goals.put("semantic_vs_raw_embedding", 0.8);
      return root;
    }

    private static void putRatio(ObjectNode n, String name, Double v) {
      if (v == null) {
        n.putNull(name);
      } else {
        n.put(name, round(v));
      }
    }

    private static double round(double v) {
      return Math.round(v * 1000) / 1000.0;
    }

    private static String ms(double v) {
      return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : v >= 10 ? String.format(Locale.ROOT, "%.1f", v)
          : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String pct(double f) {
      return String.format(Locale.ROOT, "%.1f%%", 100 * f);
    }
  }
}
