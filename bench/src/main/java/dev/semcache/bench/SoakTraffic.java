package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntSupplier;

/**
 * The soak's mixed traffic, as gateways send it: each client thread, on connections of its own, picks a
 * namespace and then one of exact lookups of stored prompts, lookups of reworded or new prompts (a miss is
 * then stored with its {@code lookup_id}, as the gateway flow does), plain stores (some under a scope),
 * deletes, invalidations of a scope, statistics and analysis reads; a lookup sampled for audit gets its
 * verdict. A short pause between calls keeps the load steady rather than maximal: the soak measures
 * growth, not speed. Calls that fail because the server is restarting are counted and retried later.
 */
final class SoakTraffic {
  static final int NAMESPACES = 4;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String[] REWORDINGS = {"please ", "so, ", "quick question: ", "hey, "};

  private final List<String> sentences;
  private final IntSupplier port;
  private final AtomicInteger next = new AtomicInteger();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean stop;
  /** Per namespace: ids and prompts of recent stores (bounded), for exact lookups and deletes. */
  private final List<List<String[]>> recent = new ArrayList<>();
  final AtomicLong requests = new AtomicLong();
  final AtomicLong failures = new AtomicLong();
  final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
  /** Calls by kind: exact, reworded, new, store, delete, invalidate, audit, read. */
  static final String[] KINDS = {"exact lookup", "reworded lookup", "new-prompt lookup", "store", "delete",
      "invalidate", "audit", "stats/analysis"};
  final AtomicLongArray byKind = new AtomicLongArray(KINDS.length);

  SoakTraffic(List<String> sentences, IntSupplier port) {
    this.sentences = sentences;
    this.port = port;
    for (int i = 0; i < NAMESPACES; i++) {
      recent.add(Collections.synchronizedList(new ArrayList<>()));
    }
  }

  static String namespace(int i) {
    return "soak-" + i;
  }

  void start(int clients, long seed) {
    for (int c = 0; c < clients; c++) {
      Random random = new Random(seed + c);
      Thread t = new Thread(() -> run(random), "soak-client-" + c);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  void stop() throws InterruptedException {
    stop = true;
    for (Thread t : threads) {
      t.join(60_000);
    }
  }

  Map<Integer, Long> statuses() {
    Map<Integer, Long> out = new TreeMap<>();
    statuses.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  private void run(Random random) {
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    while (!stop) {
      try {
        step(http, random);
        Thread.sleep(20 + random.nextInt(30));
      } catch (IOException e) {
        failures.incrementAndGet(); // the server is restarting
        sleep(500);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void step(HttpClient http, Random random) throws IOException, InterruptedException {
    int n = random.nextInt(NAMESPACES);
    String ns = namespace(n);
    List<String[]> mine = recent.get(n);
    int roll = random.nextInt(100);
    String[] known = mine.isEmpty() ? null : mine.get(random.nextInt(mine.size()));
    if (roll < 35 && known != null) {
      lookup(http, ns, known[1], 0);
    } else if (roll < 50 && known != null) {
      lookup(http, ns, REWORDINGS[random.nextInt(REWORDINGS.length)] + known[1], 1);
    } else if (roll < 70) {
      String prompt = fresh();
      JsonNode miss = lookup(http, ns, prompt, 2);
      if (miss != null && !miss.path("hit").asBoolean() && random.nextBoolean()) {
        store(http, n, prompt, Map.of(), miss.path("lookup_id").asText(null));
      }
    } else if (roll < 85) {
      Map<String, String> scope = random.nextInt(4) == 0 ? Map.of("tier", "t" + random.nextInt(8)) : Map.of();
      store(http, n, fresh(), scope, null);
    } else if (roll < 90 && known != null) {
      mine.remove(known);
      call(http, "DELETE", "/v1/entries/" + known[0] + "?namespace=" + ns, null, 4);
    } else if (roll < 92) {
      call(http, "POST", "/v1/invalidate", Map.of("namespace", ns, "scope", Map.of("tier", "t" + random.nextInt(8))), 5);
    } else {
      call(http, "GET", "/v1/namespaces/" + ns + (random.nextBoolean() ? "/stats" : "/analysis"), null, 7);
    }
  }

  private String fresh() {
    int i = next.getAndIncrement();
    String s = sentences.get(i % sentences.size());
    return i < sentences.size() ? s : s + " (" + i / sentences.size() + ")";
  }

  private JsonNode lookup(HttpClient http, String ns, String prompt, int kind) throws IOException, InterruptedException {
    JsonNode r = call(http, "POST", "/v1/lookup", Map.of("namespace", ns, "prompt", prompt), kind);
    if (r != null && r.path("audit").asBoolean()) {
      call(http, "POST", "/v1/audits/" + r.get("lookup_id").asText(), Map.of("namespace", ns, "verdict", "correct"), 6);
    }
    return r;
  }

  private void store(HttpClient http, int n, String prompt, Map<String, String> scope, String lookupId)
      throws IOException, InterruptedException {
    Map<String, Object> body = new java.util.HashMap<>(Map.of("namespace", namespace(n), "prompt", prompt,
        "response", "The answer to: " + prompt, "scope", scope));
    if (lookupId != null) {
      body.put("lookup_id", lookupId);
    }
    JsonNode r = call(http, "POST", "/v1/entries", body, 3);
    if (r != null && r.has("entry_id") && scope.isEmpty()) {
      List<String[]> mine = recent.get(n);
      synchronized (mine) {
        mine.add(new String[] {r.get("entry_id").asText(), prompt});
        if (mine.size() > 2000) {
          mine.subList(0, 1000).clear();
        }
      }
    }
  }

  /** One call; its JSON answer if 2xx, else null (the status is counted either way). */
  private JsonNode call(HttpClient http, String method, String path, Object body, int kind)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt() + path))
        .timeout(Duration.ofSeconds(60));
    if (body != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(
          JSON.writeValueAsBytes(body)));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    requests.incrementAndGet();
    byKind.incrementAndGet(kind);
    statuses.computeIfAbsent(r.statusCode(), k -> new AtomicLong()).incrementAndGet();
    return r.statusCode() / 100 == 2 && r.body().length > 0 ? JSON.readTree(r.body()) : null;
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
