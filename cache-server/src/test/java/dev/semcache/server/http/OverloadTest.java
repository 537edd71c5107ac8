package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.ManualClock;
import dev.semcache.server.config.HttpConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;

/**
 * The short CI variant of the overload proof ({@code ./semcache bench tenants overload} is the long one):
 * far more concurrent misses than the server takes, for a few seconds. Every answer is 2xx, 429 or 503,
 * none is lost, and the server answers normally right after.
 */
class OverloadTest {
  @Test
  void overloadIsAnsweredOnly2xx429Or503AndTheServerRecovers() throws Exception {
    HttpConfig small = new HttpConfig(1 << 20, 8, 10, 60, 0, 0, 10, 1);
    try (TestServer server = new TestServer(TestServer.config(Files.createTempDirectory("overload"),
        java.util.List.of(), small), new ManualClock())) {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10)).build();
      Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
      LongAdder failures = new LongAdder();
      AtomicLong n = new AtomicLong();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(4);
      ExecutorService threads = Executors.newFixedThreadPool(48);
      for (int t = 0; t < 48; t++) {
        threads.execute(() -> {
          while (System.nanoTime() < end) {
            String body = "{\"namespace\":\"flood\",\"prompt\":\"overload question " + n.incrementAndGet() + "\"}";
            HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/lookup"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            try {
              int status = client.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
              statuses.computeIfAbsent(status, k -> new LongAdder()).increment();
            } catch (IOException e) {
              failures.increment();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
        });
      }
      threads.shutdown();
      assertThat(threads.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
      assertThat(statuses.keySet()).as("statuses %s", statuses).allMatch(s -> s / 100 == 2 || s == 429 || s == 503);
      assertThat(statuses.get(200)).isNotNull();
      assertThat(statuses.get(503)).as("beyond max_in_flight, 503: %s", statuses).isNotNull();
      assertThat(failures.sum()).as("requests without any answer").isZero();
      assertThat(server.lookup("chat", "is the server answering again?").status()).isEqualTo(200);
      assertThat(server.server.inFlight()).isZero();
    }
  }
}
