package dev.semcache.server.proxy;

import dev.semcache.server.config.ProxyConfig;
import io.netty.handler.codec.http.HttpHeaders;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Calls the upstream with the JDK's asynchronous {@link HttpClient} (HTTP/1.1; it keeps idle
 * connections open and reuses them, so a busy proxy does not pay a TCP and TLS handshake per miss).
 * Nothing here blocks a thread: answers arrive on the client's own small pool.
 *
 * <p>An answer that is a 200 {@code text/event-stream} is handed over as soon as its head arrives, with
 * an {@link SseRelay} that streams its body; any other answer is read whole (errors are small).
 */
public final class UpstreamClient implements AutoCloseable {
  /** Request headers that are not forwarded: hop-by-hop, set by the client itself, or semcache's own. */
  private static final Set<String> NOT_FORWARDED = Set.of("connection", "content-length", "expect", "host", "upgrade",
      "keep-alive", "transfer-encoding", "te", "trailer", "proxy-authorization", "proxy-connection", "http2-settings",
      "cache-control", "accept-encoding", "x-semcache-key");
  /** Answer headers that are not passed back: hop-by-hop, or set by semcache's own server. */
  static final Set<String> NOT_RETURNED = Set.of("connection", "content-length", "keep-alive", "transfer-encoding",
      "te", "trailer", "upgrade", ":status", "date", "server");

  private final String base;
  private final Duration timeout;
  private final ExecutorService pool;
  private final ScheduledExecutorService timers;
  private final HttpClient client;

  public UpstreamClient(ProxyConfig config) {
    this.base = config.upstream();
    this.timeout = Duration.ofSeconds(config.timeoutS());
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()), r -> {
      Thread t = new Thread(r, "semcache-upstream-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.timers = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "semcache-upstream-timer");
      t.setDaemon(true);
      return t;
    });
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(config.connectTimeoutS()))
        .followRedirects(HttpClient.Redirect.NEVER)
        .executor(pool)
        .build();
  }

  /** How an exchange began: a stream to relay, or a whole answer. */
  sealed interface Start {}

  /** A 200 event stream; its body flows through {@code relay}. */
  record Streaming(int status, Map<String, String> headers, SseRelay relay) implements Start {}

  /** Any other answer, read whole. */
  record Whole(int status, Map<String, String> headers, byte[] body) implements Start {}

  /**
   * Sends a request to the upstream.
   *
   * @param target the path and query the caller used ({@code /v1/chat/completions}); {@code /v1} is
   *     replaced by the upstream's base URL
   * @param incoming the caller's headers, forwarded except {@link #NOT_FORWARDED}
   * @param body the body to send
   * @return completes when the head of a stream, or a whole answer, arrived; fails if the upstream
   *     could not be reached or timed out
   */
  CompletableFuture<Start> send(String target, HttpHeaders incoming, byte[] body) {
    HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(base + target.substring("/v1".length())))
        .timeout(timeout)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (Map.Entry<String, String> h : incoming) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (!NOT_FORWARDED.contains(name) && !name.startsWith("x-semcache-")) {
        req.header(h.getKey(), h.getValue());
      }
    }
    req.setHeader("Accept-Encoding", "identity"); // the relay reads the stream to assemble the answer
    CompletableFuture<Start> start = new CompletableFuture<>();
    HttpResponse.BodyHandler<byte[]> handler = info -> {
      String type = info.headers().firstValue("content-type").orElse("");
      if (info.statusCode() == 200 && type.toLowerCase(Locale.ROOT).startsWith("text/event-stream")) {
        SseRelay relay = new SseRelay(timers, timeout);
        start.complete(new Streaming(200, returned(info.headers()), relay));
        return HttpResponse.BodySubscribers.mapping(HttpResponse.BodySubscribers.fromSubscriber(relay), v -> (byte[]) null);
      }
      return HttpResponse.BodySubscribers.ofByteArray();
    };
    client.sendAsync(req.build(), handler).whenComplete((r, t) -> {
      if (start.isDone()) {
        return; // a stream: its relay saw the end, or the failure, of the body
      }
      if (t != null) {
        start.completeExceptionally(t);
      } else {
        start.complete(new Whole(r.statusCode(), returned(r.headers()), r.body()));
      }
    });
    return start;
  }

  private static Map<String, String> returned(java.net.http.HttpHeaders headers) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    headers.map().forEach((k, v) -> {
      if (!NOT_RETURNED.contains(k.toLowerCase(Locale.ROOT)) && !v.isEmpty()) {
        out.put(k, String.join(", ", v));
      }
    });
    return out;
  }

  @Override
  public void close() {
    client.shutdownNow();
    timers.shutdownNow();
    pool.shutdownNow();
  }
}
