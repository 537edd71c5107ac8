package dev.semcache.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.server.config.ConfigLoader;
import dev.semcache.server.config.ProxyConfig;
import dev.semcache.server.config.ServerConfig;
import dev.semcache.server.http.SemcacheServer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code semcache bench proxy}: proxy mode against a direct call to an OpenAI-compatible upstream
 * ({@link UpstreamStub}), all measured in one run on loopback.
 *
 * <ul>
 *   <li>Hit latency and throughput: {@code callers} closed-loop callers for {@code seconds} each, calling
 *       the upstream directly (answering at once: the floor of an HTTP call with a JSON body, and after
 *       {@code model-ms}: a model's latency) and semcache for an exact hit, an exact hit replayed as a
 *       stream, and a semantic hit (a reworded prompt: one embedding per call).
 *   <li>Time to first byte of streamed misses: {@code ttfb-requests} streaming requests with distinct
 *       prompts, one at a time, directly and through semcache (which looks up, misses, and relays the
 *       upstream's stream), the upstream sending its first chunk after {@code first-chunk-ms}.
 * </ul>
 * The server runs with the same config as {@code ./semcache serve} ({@code SEMCACHE_*} variables apply),
 * in a fresh temporary folder, with the stub as {@code proxy.upstream}.
 */
@Command(name = "proxy", mixinStandardHelpOptions = true, description = "Proxy mode vs a direct upstream call, one run.")
public final class ProxyBench implements java.util.concurrent.Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Option(names = "--seconds", description = "Measured seconds per throughput row (default ${DEFAULT-VALUE}).")
  int seconds = 10;
  @Option(names = "--warmup", description = "Warm-up seconds before each row (default ${DEFAULT-VALUE}).")
  int warmup = 5;
  @Option(names = "--callers", description = "Concurrent closed-loop callers (default ${DEFAULT-VALUE}).")
  int callers = 8;
  @Option(names = "--model-ms", description = "The modelled upstream latency of the 'direct, model' row (default ${DEFAULT-VALUE}).")
  int modelMs = 300;
  @Option(names = "--first-chunk-ms", description = "The upstream's time to its first streamed chunk (default ${DEFAULT-VALUE}).")
  int firstChunkMs = 50;
  @Option(names = "--ttfb-requests", description = "Streamed misses measured, each way (default ${DEFAULT-VALUE}).")
  int ttfbRequests = 100;
  @Option(names = "--out", description = "JSON results file (default bench/results/proxy-DATE.json).")
  Path out;

  record Row(String name, String target, long ok, long errors, double seconds, Histogram nanos) {
    double perSecond() {
      return ok / seconds;
    }

    double ms(double percentile) {
      return nanos.getValueAtPercentile(percentile) / 1e6;
    }
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new ProxyBench()).execute(args));
  }

  @Override
  public Integer call() throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    List<Row> rows = new ArrayList<>();
    List<Row> ttfb = new ArrayList<>();
    Path dir = Files.createTempDirectory("semcache-proxy-bench");
    try (UpstreamStub stub = new UpstreamStub(0, 10)) {
      Map<String, Object> flags = new HashMap<>();
      flags.put("host", "127.0.0.1");
      flags.put("port", 0);
      flags.put("data_dir", dir.toString());
      ServerConfig loaded = ConfigLoader.load(null, System.getenv(), flags);
      ServerConfig config = new ServerConfig(loaded.host(), loaded.port(), loaded.dataDir(), loaded.model(), loaded.http(),
          loaded.embedding(), loaded.storage(), loaded.audits(), loaded.namespaceDefaults(), List.of(),
          new ProxyConfig(stub.baseUrl(), 10, 120, "bench", false));
      try (SemcacheServer server = SemcacheServer.start(config, InstantSource.system(), null)) {
        server.awaitReady(Duration.ofMinutes(5));
        String direct = stub.baseUrl() + "/chat/completions";
        String proxied = "http://127.0.0.1:" + server.port() + "/v1/chat/completions";
        String stored = body("What is the capital of France?", false);
        HttpResponse<String> first = client.send(post(proxied, stored), HttpResponse.BodyHandlers.ofString());
        if (!"MISS".equals(first.headers().firstValue("X-Cache-Status").orElse(""))) {
          throw new IllegalStateException("the first request was not a miss: " + first.statusCode() + " " + first.body());
        }
        Thread.sleep(1500); // the index refreshes within a second: the semantic row needs the entry searchable
        System.err.printf("proxy: semcache on port %d, upstream stub at %s; %d callers, %d s per row%n", server.port(),
            stub.baseUrl(), callers, seconds);
        rows.add(closedLoop(client, "direct upstream, answers at once", i -> post(direct, stored), null));
        rows.add(closedLoop(client, "semcache exact hit", i -> post(proxied, stored), "HIT-EXACT"));
        rows.add(closedLoop(client, "semcache exact hit, streamed replay",
            i -> post(proxied, body("What is the capital of France?", true)), "HIT-EXACT"));
        rows.add(closedLoop(client, "semcache semantic hit", i -> post(proxied, body("What's the capital of France?", false)),
            "HIT-SEMANTIC"));
        stub.latencyMs(modelMs);
        rows.add(closedLoop(client, "direct upstream, answers after " + modelMs + " ms", i -> post(direct, stored), null));

        stub.latencyMs(firstChunkMs);
        AtomicLong n = new AtomicLong();
        ttfb.add(firstBytes(client, "direct upstream", i -> post(direct, body("Stream number " + n.incrementAndGet(), true)),
            null));
        // Threshold 1: every distinct prompt is a miss, however alike ("Stream number 5" and "... 6" are).
        ttfb.add(firstBytes(client, "semcache miss, relayed", i -> HttpRequest.newBuilder(post(proxied,
            body("Stream number " + n.incrementAndGet(), true)), (k, v) -> true).header("X-Semcache-Threshold", "1").build(),
            "MISS"));
        String lookup = "http://127.0.0.1:" + server.port() + "/v1/lookup";
        ttfb.add(firstBytes(client, "semcache /v1/lookup miss alone (context)", i -> post(lookup,
            "{\"namespace\":\"bench\",\"threshold\":1,\"prompt\":\"Stream number " + n.incrementAndGet() + "\"}"),
            "MISS"));
      }
    }
    print(rows, ttfb);
    write(rows, ttfb);
    return 0;
  }

  private static String body(String prompt, boolean stream) {
    ObjectNode b = JSON.createObjectNode().put("model", "gpt-bench").put("temperature", 0).put("stream", stream);
    b.putArray("messages").addObject().put("role", "user").put("content", prompt);
    return b.toString();
  }

  private static HttpRequest post(String url, String body) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer sk-bench").POST(HttpRequest.BodyPublishers.ofString(body)).build();
  }

  /** {@code callers} threads, each calling in a loop; the status header must be {@code expect} (null: any 200). */
  private Row closedLoop(HttpClient client, String name, IntFunction<HttpRequest> request, String expect)
      throws InterruptedException {
    System.err.printf("proxy: %s (%d s warm-up, %d s measured)%n", name, warmup, seconds);
    Histogram all = new Histogram(60_000_000_000L, 3);
    AtomicLong ok = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long warmEnd = System.nanoTime() + warmup * 1_000_000_000L;
    long end = warmEnd + seconds * 1_000_000_000L;
    List<Thread> threads = new ArrayList<>();
    List<Histogram> hists = new ArrayList<>();
    for (int c = 0; c < callers; c++) {
      Histogram h = new Histogram(60_000_000_000L, 3);
      hists.add(h);
      int id = c;
      threads.add(Thread.ofPlatform().name("proxy-bench-" + c).start(() -> {
        int i = 0;
        while (true) {
          long t0 = System.nanoTime();
          if (t0 >= end) {
            return;
          }
          boolean good;
          try {
            HttpResponse<byte[]> r = client.send(request.apply(id * 1_000_000 + i++), HttpResponse.BodyHandlers.ofByteArray());
            good = r.statusCode() == 200 && (expect == null || expect.equals(r.headers().firstValue("X-Cache-Status").orElse("")));
          } catch (Exception e) {
            good = false;
          }
          long t1 = System.nanoTime();
          if (t0 >= warmEnd) {
            if (good) {
              h.recordValue(t1 - t0);
              ok.incrementAndGet();
            } else {
              errors.incrementAndGet();
            }
          }
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    hists.forEach(all::add);
    return new Row(name, "", ok.get(), errors.get(), seconds, all);
  }

  /** One request at a time: the time from sending to the first byte of the answer's body. */
  private Row firstBytes(HttpClient client, String name, IntFunction<HttpRequest> request, String expect) throws Exception {
    System.err.printf("proxy: time to first byte, %s (%d streams)%n", name, ttfbRequests);
    Histogram h = new Histogram(60_000_000_000L, 3);
    long errors = 0;
    long started = System.nanoTime();
    for (int i = 0; i < ttfbRequests + 5; i++) {
      HttpRequest req = request.apply(i);
      long t0 = System.nanoTime();
      HttpResponse<InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
      try (InputStream in = r.body()) {
        int b = in.read();
        long t1 = System.nanoTime();
        in.readAllBytes();
        boolean good = b >= 0 && r.statusCode() == 200
            && (expect == null || expect.equals(r.headers().firstValue("X-Cache-Status").orElse("")));
        if (i >= 5) { // the first five warm the connections up
          if (good) {
            h.recordValue(t1 - t0);
          } else {
            errors++;
          }
        }
      }
    }
    return new Row(name, "", h.getTotalCount(), errors, (System.nanoTime() - started) / 1e9, h);
  }

  private void print(List<Row> rows, List<Row> ttfb) {
    StringBuilder s = new StringBuilder();
    s.append(String.format("%n| proxy, %d callers | ok | errors | req/s | p50 ms | p99 ms | req/s vs direct at once |%n", callers));
    s.append("|---|---:|---:|---:|---:|---:|---:|\n");
    double floor = rows.get(0).perSecond();
    for (Row r : rows) {
      s.append(String.format("| %s | %d | %d | %.0f | %.2f | %.2f | %.0f%% |%n", r.name(), r.ok(), r.errors(), r.perSecond(),
          r.ms(50), r.ms(99), 100 * r.perSecond() / floor));
    }
    s.append(String.format("%n| streamed, first chunk after %d ms | streams | errors | TTFB p50 ms | TTFB p99 ms |%n",
        firstChunkMs));
    s.append("|---|---:|---:|---:|---:|\n");
    for (Row r : ttfb) {
      s.append(String.format("| %s | %d | %d | %.2f | %.2f |%n", r.name(), r.ok(), r.errors(), r.ms(50), r.ms(99)));
    }
    s.append(String.format("%nsemcache's time to first byte minus the upstream's: p50 %+.2f ms, p99 %+.2f ms; minus the"
        + " lookup's own p50 as well: %+.2f ms (what relaying adds)%n", ttfb.get(1).ms(50) - ttfb.get(0).ms(50),
        ttfb.get(1).ms(99) - ttfb.get(0).ms(99), ttfb.get(1).ms(50) - ttfb.get(0).ms(50) - ttfb.get(2).ms(50)));
    System.out.print(s);
  }

  private void write(List<Row> rows, List<Row> ttfb) throws Exception {
    Path file = out != null ? out : Path.of("bench/results/proxy-" + LocalDate.now() + ".json");
    ObjectNode root = JSON.createObjectNode().put("date", LocalDate.now().toString()).put("callers", callers)
        .put("seconds", seconds).put("model_ms", modelMs).put("first_chunk_ms", firstChunkMs)
        .put("cores", Runtime.getRuntime().availableProcessors()).put("java", System.getProperty("java.version"));
    ArrayNode a = root.putArray("throughput");
    for (Row r : rows) {
      a.addObject().put("name", r.name()).put("ok", r.ok()).put("errors", r.errors()).put("per_s", r.perSecond())
          .put("p50_ms", r.ms(50)).put("p99_ms", r.ms(99));
    }
    ArrayNode t = root.putArray("ttfb");
    for (Row r : ttfb) {
      t.addObject().put("name", r.name()).put("streams", r.ok()).put("errors", r.errors()).put("p50_ms", r.ms(50))
          .put("p99_ms", r.ms(99));
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    System.err.println("proxy: wrote " + file);
  }
}
