package dev.semcache.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.ToLongFunction;

/**
 * {@code ./semcache bench soak [--minutes N] [--clients N] [--out-dir DIR]}: mixed traffic ({@link
 * SoakTraffic}) against a real {@code semcache serve} process for N minutes (default 20), restarted (SIGTERM,
 * then started again over the same data) in the middle. Every 10 s it samples the server's heap used, RSS,
 * open file descriptors and the RocksDB and Lucene sizes ({@link SoakSample}) and prints a progress line.
 * At the end it writes {@code soak-DATE.csv}, {@code soak-DATE.svg} (the plot) and {@code soak-DATE.md}
 * (the summary: per series, the slope over the first and the last third and whether it levels off,
 * {@link SoakTrend}) to {@code bench/results/soak/}.
 *
 * <p>Each namespace is configured with {@code max_entries} 500 and a 15-minute TTL, as a production cache
 * is bounded, so that entries, and with them the store and the index, should stop growing once full.
 * Measures growth, not speed: a busy machine changes the rates, not the verdicts.
 */
final class SoakBench {
  private static final int SAMPLE_S = 10;
  static final int MAX_ENTRIES = 500;

  private SoakBench() {}

  public static void main(String[] args) throws Exception {
    double minutes = 20;
    int clients = 8;
    Path outDir = defaultOutDir();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--minutes" -> minutes = Double.parseDouble(args[++i]);
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        case "--out-dir" -> outDir = Path.of(args[++i]);
        case "--trend" -> {
          trend(Path.of(args[++i]));
          return;
        }
        case "--help", "-h" -> {
          System.out.println("usage: soak [--minutes N (default 20)] [--clients N (default 8)] [--out-dir DIR"
              + " (default bench/results/soak)]\n       soak --trend FILE.csv   (the verdicts of an earlier run's samples)");
          return;
        }
        default -> throw new IllegalArgumentException("unknown option '" + args[i] + "'; try --help");
      }
    }
    if (!(minutes > 0) || clients < 1) {
      throw new IllegalArgumentException("--minutes must be above 0 and --clients at least 1; minutes=" + minutes
          + ", clients=" + clients);
    }
    run(minutes, clients, outDir);
  }

  private static void run(double minutes, int clients, Path outDir) throws Exception {
    Path work = Files.createTempDirectory("semcache-soak");
    Path data = work.resolve("data");
    Path log = work.resolve("serve.log");
    Files.createFile(log);
    String stamp = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HHmm'Z'").withZone(ZoneOffset.UTC).format(Instant.now());
    System.err.printf("soak: %.0f min, %d clients, server data and log in %s%n", minutes, clients, work);
    ServerProcess[] server = {ServerProcess.start(data, null, log, Duration.ofMinutes(5))};
    configure(server[0].port());
    List<String> sentences = new ArrayList<>(SharedDatasets.allSentences());
    Collections.shuffle(sentences, new Random(7));
    SoakTraffic traffic = new SoakTraffic(sentences, () -> server[0].port());
    traffic.start(clients, 7);
    long t0 = System.nanoTime();
    long end = t0 + (long) (minutes * 60e9);
    double restartAt = minutes / 2;
    boolean restarted = false;
    List<SoakSample> samples = new ArrayList<>();
    long lastRequests = 0;
    for (long next = t0; ; next += SAMPLE_S * 1_000_000_000L) {
      long wait = next - System.nanoTime();
      if (wait > 0) {
        Thread.sleep(wait / 1_000_000);
      }
      double m = (System.nanoTime() - t0) / 60e9;
      if (!restarted && m >= restartAt) {
        System.err.printf("soak: %s restarting the server (SIGTERM, then start over the same data)%n", clock(m));
        long r0 = System.nanoTime();
        server[0].stop();
        server[0] = ServerProcess.start(data, null, log, Duration.ofMinutes(5));
        restarted = true;
        System.err.printf("soak: restarted in %.1f s%n", (System.nanoTime() - r0) / 1e9);
        m = (System.nanoTime() - t0) / 60e9;
      }
      SoakSample s = SoakSample.take(m * 60, server[0].pid(), server[0].port(), data, traffic.requests.get(),
          traffic.failures.get());
      samples.add(s);
      System.err.printf("soak: %s of %s  heap %.0f MiB (%.0f after GC, %.0f in bounded tables)  RSS %.0f MiB  fds %d  "
          + "rocksdb %.1f MiB  lucene %.1f MiB  %,d requests (%.0f/s)  statuses %s%n", clock(m), clock(minutes),
          s.heapUsed() / 1048576.0, s.heapAfterGc() / 1048576.0, s.heldBytes() / 1048576.0,
          s.rss() / 1048576.0, s.openFds(), s.rocksdbBytes() / 1048576.0, s.luceneBytes() / 1048576.0,
          s.requests(), (s.requests() - lastRequests) / (double) SAMPLE_S, traffic.statuses());
      lastRequests = s.requests();
      if (System.nanoTime() >= end) {
        break;
      }
    }
    traffic.stop();
    server[0].stop();
    write(outDir, stamp, minutes, clients, restartAt, samples, traffic);
  }

  /** Every soak namespace bounded: {@code max_entries}, a TTL, and audits sampled often enough to happen. */
  private static void configure(int port) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    for (int i = 0; i < SoakTraffic.NAMESPACES; i++) {
      String body = "{\"max_entries\":" + MAX_ENTRIES + ",\"ttl_s\":900,\"audit_rate\":0.1}";
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v1/namespaces/" + SoakTraffic.namespace(i))).header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException("configuring " + SoakTraffic.namespace(i) + " answered " + r.statusCode()
            + ": " + r.body());
      }
    }
  }

  private record Column(String title, String unit, double divisor, ToLongFunction<SoakSample> value) {}

  private static final List<Column> COLUMNS = List.of(
      new Column("heap used", "MiB", 1048576.0, SoakSample::heapUsed),
      new Column("heap used after the last GC", "MiB", 1048576.0, SoakSample::heapAfterGc),
      new Column("of which the bounded tables (pending, remembered lookups)", "MiB", 1048576.0, SoakSample::heldBytes),
      new Column("resident memory (RSS)", "MiB", 1048576.0, SoakSample::rss),
      new Column("open file descriptors", "count", 1, SoakSample::openFds),
      new Column("RocksDB store on disk", "MiB", 1048576.0, SoakSample::rocksdbBytes),
      new Column("Lucene index on disk", "MiB", 1048576.0, SoakSample::luceneBytes));

  private static void write(Path outDir, String stamp, double minutes, int clients, double restartAt,
      List<SoakSample> samples, SoakTraffic traffic) throws IOException {
    Files.createDirectories(outDir);
    StringBuilder csv = new StringBuilder(String.join(",", SoakSample.COLUMNS)).append('\n');
    samples.forEach(s -> csv.append(s.csv()).append('\n'));
    Path csvFile = outDir.resolve("soak-" + stamp + ".csv");
    Files.writeString(csvFile, csv, StandardCharsets.UTF_8);
    double[] x = samples.stream().mapToDouble(s -> s.elapsedS() / 60).toArray();
    SvgChart chart = new SvgChart(String.format(Locale.ROOT, "semcache soak, %s: %.0f min, %d clients", stamp,
        minutes, clients), restartAt, "restart");
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "# Soak %s%n%n`./semcache bench soak --minutes %s --clients %d`: %,d requests,"
        + " statuses %s, %,d calls failed while the server restarted; a restart at minute %.1f.%n%nCalls by kind:",
        stamp, trim(minutes), clients, traffic.requests.get(), traffic.statuses(), traffic.failures.get(), restartAt));
    for (int k = 0; k < SoakTraffic.KINDS.length; k++) {
      md.append(String.format(Locale.ROOT, "%s %s %,d", k == 0 ? "" : ",", SoakTraffic.KINDS[k], traffic.byKind.get(k)));
    }
    md.append(".\n\n");
    for (Column c : COLUMNS) {
      double[] y = samples.stream().mapToDouble(s -> (double) c.value().applyAsLong(s)).toArray();
      double[] keptX = java.util.stream.IntStream.range(0, y.length).filter(i -> y[i] >= 0).mapToDouble(i -> x[i]).toArray();
      double[] keptY = java.util.Arrays.stream(y).filter(v -> v >= 0).toArray();
      chart.add(new SvgChart.Series(c.title(), c.unit(), c.divisor(), keptX, keptY));
    }
    md.append(trendTable(x, samples, true));
    Path svg = outDir.resolve("soak-" + stamp + ".svg");
    Files.writeString(svg, chart.render(), StandardCharsets.UTF_8);
    Path summary = outDir.resolve("soak-" + stamp + ".md");
    Files.writeString(summary, md, StandardCharsets.UTF_8);
    System.out.printf("%nwrote %s, %s and %s%n", csvFile, svg, summary);
  }

  /** The verdict of every series, as a Markdown table and its rule; also printed when {@code print}. */
  static String trendTable(double[] x, List<SoakSample> samples, boolean print) {
    StringBuilder md = new StringBuilder("| series | first third | last third | last third's growth | last third's high ÷ "
        + "earlier high | verdict |\n|---|---|---|---|---|---|\n");
    for (Column c : COLUMNS) {
      double[] y = samples.stream().mapToDouble(s -> (double) c.value().applyAsLong(s)).toArray();
      if (java.util.Arrays.stream(y).allMatch(v -> v < 0)) {
        md.append("| ").append(c.title()).append(" | | | | | not sampled |\n");
        continue;
      }
      SoakTrend t = SoakTrend.of(x, y);
      md.append(String.format(Locale.ROOT, "| %s | %+.2f %s/min | %+.2f %s/min | %+.1f%% of %.1f %s | %.2f | %s |%n",
          c.title(), t.firstSlope() / c.divisor(), c.unit(), t.lastSlope() / c.divisor(), c.unit(), 100 * t.lastGrowth(),
          t.lastMean() / c.divisor(), c.unit(), t.highRatio(), t.verdict()));
      if (print) {
        System.out.printf("%-24s %s%n", c.title() + ":", t.describe(c.divisor(), c.unit()));
      }
    }
    md.append(String.format(Locale.ROOT, "%nA series levels off when its last third grew by at most %.0f%% of its mean"
        + " there, or by less than %.0f%% of the first third's slope, or set no high more than %.0f%% above the highest"
        + " value before it (a saw-tooth series).%n", 100 * SoakTrend.FLAT, 100 * SoakTrend.SMALL, 100 * SoakTrend.FLAT));
    return md.toString();
  }

  /** {@code soak --trend FILE.csv}: the verdicts of an earlier run's samples (older CSVs lack held_bytes: -1). */
  private static void trend(Path csv) throws IOException {
    List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
    List<String> header = List.of(lines.get(0).split(","));
    List<SoakSample> samples = lines.subList(1, lines.size()).stream().map(l -> SoakSample.fromCsv(header, l)).toList();
    double[] x = samples.stream().mapToDouble(s -> s.elapsedS() / 60).toArray();
    System.out.print(trendTable(x, samples, false));
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
  }

  private static String clock(double minutes) {
    long s = Math.round(minutes * 60);
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }

  private static Path defaultOutDir() {
    String benchTarget = System.getProperty("semcache.bench.dir");
    Path results = benchTarget != null ? Path.of(benchTarget).toAbsolutePath().getParent().resolve("results")
        : Path.of("bench", "results");
    return results.resolve("soak");
  }
}
