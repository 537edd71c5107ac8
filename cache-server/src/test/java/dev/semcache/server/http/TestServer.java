package dev.semcache.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.index.ManualClock;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.server.config.ApiKeyConfig;
import dev.semcache.server.config.AuditConfig;
import dev.semcache.server.config.EmbeddingConfig;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.config.ServerConfig;
import dev.semcache.server.config.StorageConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A real server on 127.0.0.1 (port 0) over the real model and real storage, with a manual clock, and a
 * small JSON client for it. One model is loaded per test JVM and shared by every server.
 */
final class TestServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();
  private static ParallelEmbedder embedder;

  final ManualClock clock;
  final SemcacheServer server;
  final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  record Response(int status, Map<String, List<String>> headers, JsonNode json, String text) {
    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }

    String errorCode() {
      return json == null ? null : json.path("error").path("code").asText(null);
    }
  }

  static synchronized ParallelEmbedder embedder() {
    if (embedder == null) {
      embedder = ParallelEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), ParallelOptions.defaults());
      Runtime.getRuntime().addShutdownHook(new Thread(embedder::close));
    }
    return embedder;
  }

  static long modelCalls() {
    return embedder().wideRunCount() + embedder().narrowRunCount();
  }

  /** Config for tests: port 0, the given folder, long background intervals (tests refresh by hand). */
  static ServerConfig config(Path dir, List<ApiKeyConfig> keys, HttpConfig http) {
    return config(dir, keys, http, AuditConfig.defaults());
  }

  static ServerConfig config(Path dir, List<ApiKeyConfig> keys, HttpConfig http, AuditConfig audits) {
    ServerConfig d = ServerConfig.defaults();
    StorageConfig s = d.storage();
    return new ServerConfig("127.0.0.1", 0, dir.toString(), d.model(), http, EmbeddingConfig.defaults(),
        new StorageConfig(StorageConfig.EMBEDDED, s.maxEntries(), s.maxBytes(), false, s.vectorFormat(), 3_600_000, 3600,
            3600, s.compactSegments(), s.compactMinEntries(), s.compactIdleS(), s.opensearch()), audits,
        NamespaceConfig.defaults(), keys);
  }

  static ServerConfig config(Path dir) {
    return config(dir, List.of(), HttpConfig.defaults());
  }

  TestServer(ServerConfig config, ManualClock clock) {
    this.clock = clock;
    this.server = SemcacheServer.start(config, clock, embedder()).awaitReady(Duration.ofSeconds(60));
  }

  TestServer(Path dir) {
    this(config(dir), new ManualClock());
  }

  int port() {
    return server.port();
  }

  /** Makes stores visible to semantic lookups now instead of within the refresh interval. */
  void refresh() {
    server.storage().refreshIndex();
  }

  Response call(String method, String path, Object body, String key) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port() + path))
          .timeout(Duration.ofSeconds(60));
      if (key != null) {
        b.header("Authorization", "Bearer " + key);
      }
      if (body != null) {
        b.header("Content-Type", "application/json");
        b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      } else {
        b.method(method, HttpRequest.BodyPublishers.noBody());
      }
      HttpResponse<String> r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = null;
      String ct = r.headers().firstValue("content-type").orElse("");
      if (ct.startsWith("application/json") && !r.body().isEmpty()) {
        json = JSON.readTree(r.body());
      }
      return new Response(r.statusCode(), r.headers().map(), json, r.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  Response call(String method, String path, Object body) {
    return call(method, path, body, null);
  }

  Response lookup(String ns, String prompt, Map<String, String> scope) {
    return call("POST", "/v1/lookup", Map.of("namespace", ns, "prompt", prompt, "scope", scope));
  }

  Response lookup(String ns, String prompt) {
    return lookup(ns, prompt, Map.of());
  }

  Response store(String ns, String prompt, String response, Map<String, String> scope) {
    return call("POST", "/v1/entries", Map.of("namespace", ns, "prompt", prompt, "response", response, "scope", scope));
  }

  Response store(String ns, String prompt, String response) {
    Response r = store(ns, prompt, response, Map.of());
    refresh();
    return r;
  }

  static ApiKeyConfig key(String name, String secret, String role, String... namespaces) {
    return new ApiKeyConfig(name, HexFormat.of().formatHex(ApiKeyConfig.digest(secret)), role, List.of(namespaces));
  }

  @Override
  public void close() {
    server.close();
  }
}
