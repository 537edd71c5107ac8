package dev.semcache.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.server.config.ConfigLoader;
import dev.semcache.server.config.ServerConfig;
import dev.semcache.server.http.SemcacheServer;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./semcache bench tenants noisy|overload [SECONDS [CONNECTIONS]]}: one namespace must not hurt another, measured
 * over HTTP against an in-process server with the default config (SEMCACHE_* variables apply).
 *
 * <ul>
 *   <li><b>noisy</b> (noisy neighbour): namespace {@code chat} sends a trickle of lookups that all need
 *       the model (one closed-loop connection, distinct prompts), first alone, then while namespace {@code
 *       bulk} floods the model with distinct misses on 16 connections. Reports chat's p50/p99 alone and
 *       beside the flood, and their ratio (the goal: p99 within 2x), and what the flood got.
 *   <li><b>overload</b>: CONNECTIONS (default 256) closed-loop connections of distinct misses for the
 *       given seconds (default 60): every answer must be 2xx, 429 or 503; then one lookup must be answered
 *       200 (recovery), and the heap after a GC is printed. The offered load (every answer per second)
 *       is printed beside what was served (2xx per second): enough connections that the queue refuses
 *       most of them make it many times the capacity.
 * </ul>
 * Progress goes to stderr, the result table to stdout. Each phase takes the given seconds (default 20
 * for noisy).
 */
final class TenantBench {
  private static final ObjectMapper JSON = new ObjectMapper();

  private TenantBench() {}

  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "noisy";
    double seconds = args.length > 1 ? Double.parseDouble(args[1]) : mode.equals("overload") ? 60 : 20;
    int connections = args.length > 2 ? Integer.parseInt(args[2]) : 256;
    Path dir = Files.createTempDirectory("semcache-tenants");
    Map<String, Object> flags = new HashMap<>();
    flags.put("host", "127.0.0.1");
    flags.put("port", 0);
    flags.put("data_dir", dir.toString());
    ServerConfig config = ConfigLoader.load(null, System.getenv(), flags);
    try (SemcacheServer server = SemcacheServer.start(config, InstantSource.system(), null);
        LoadClient chatClient = new LoadClient(1);
        LoadClient floodClient = new LoadClient(Math.max(1, Runtime.getRuntime().availableProcessors()))) {
      server.awaitReady(Duration.ofMinutes(5));
      int port = server.port();
      System.err.printf("tenants: semcache ready on port %d (data in %s)%n", port, dir);
      if (mode.equals("overload")) {
        overload(port, floodClient, seconds, connections);
      } else {
        noisy(port, chatClient, floodClient, seconds);
      }
    }
  }

  private static LoadClient.Source misses(String namespace, String what) {
    AtomicLong n = new AtomicLong();
    return () -> {
      long i = n.getAndIncrement();
      return new LoadClient.Req("/v1/lookup", lookup(namespace, "Please explain " + what + " number " + i
          + " and how it relates to item " + (i * 7919 % 100_003) + " of the catalogue"), null);
    };
  }

  private static void noisy(int port, LoadClient chatClient, LoadClient floodClient, double seconds) {
    System.err.printf("tenants: chat alone, %.0f s%n", seconds);
    LoadClient.Result alone = chatClient.timed("chat alone", port, 1, misses("chat", "the chat question"), 3, seconds);
    System.err.printf("tenants: chat beside a flood of misses in bulk (16 connections), %.0f s%n", seconds);
    CompletableFuture<LoadClient.Result> flood = CompletableFuture.supplyAsync(() ->
        floodClient.timed("bulk flood", port, 16, misses("bulk", "the bulk job"), 3, seconds + 3));
    LoadClient.Result beside = chatClient.timed("chat beside flood", port, 1, misses("chat", "the next chat question"),
        3, seconds);
    LoadClient.Result bulk = flood.join();
    System.out.println("| run | answered/s | p50 ms | p99 ms | non-2xx | statuses |");
    System.out.println("|---|---|---|---|---|---|");
    for (LoadClient.Result r : new LoadClient.Result[] {alone, beside, bulk}) {
      System.out.printf("| %s | %.1f | %.1f | %.1f | %d | %s |%n", r.label(), r.perSecond(), r.ms(50), r.ms(99),
          r.non2xx(), r.statuses());
    }
    System.out.printf("%nchat p99 beside the flood / alone: %.2fx (goal: at most 2x)%n", beside.ms(99) / alone.ms(99));
  }

  private static void overload(int port, LoadClient client, double seconds, int connections) throws IOException {
    System.err.printf("tenants: %d connections of misses for %.0f s%n", connections, seconds);
    LoadClient.Result r = client.timed("overload", port, connections, misses("flood", "the overload"), 5, seconds);
    long bad = r.statuses().entrySet().stream()
        .filter(e -> !(e.getKey() / 100 == 2 || e.getKey() == 429 || e.getKey() == 503))
        .mapToLong(Map.Entry::getValue).sum();
    LoadClient.Result after = client.finite("recovery", port, 1, new LoadClient.Source() {
      boolean sent;

      @Override
      public synchronized LoadClient.Req next() {
        if (sent) {
          return null;
        }
        sent = true;
        return new LoadClient.Req("/v1/lookup", lookup("chat", "Is the server answering again?"), null);
      }
    });
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long answered = r.statuses().values().stream().mapToLong(Long::longValue).sum();
    double offered = r.seconds() > 0 ? answered / r.seconds() : 0;
    System.out.println("| run | connections | answered/s (offered) | 2xx/s (served) | offered ÷ served | p99 ms of 2xx"
        + " | statuses | other than 2xx/429/503 | I/O errors |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    System.out.printf("| overload | %d | %.1f | %.1f | %.1f | %.1f | %s | %d | %d |%n", connections, offered,
        r.perSecond(), r.perSecond() > 0 ? offered / r.perSecond() : 0, r.ms(99), r.statuses(), bad,
        r.ioErrors() + r.unanswered());
    System.out.printf("%nrecovery: %s; heap used after GC: %.0f MiB%n", after.statuses(), heap / 1048576.0);
    if (bad > 0 || after.ok() != 1) {
      throw new IllegalStateException("overload answered statuses other than 2xx/429/503, or did not recover");
    }
  }

  private static byte[] lookup(String namespace, String prompt) {
    ObjectNode n = JSON.createObjectNode().put("namespace", namespace).put("prompt", prompt);
    try {
      return JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
