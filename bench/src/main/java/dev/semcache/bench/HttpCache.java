package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Scope;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A running semcache server over HTTP: {@code POST /v1/entries} and {@code POST /v1/lookup}, with an API
 * key when it needs one. Stores become searchable after the server's index refresh interval (100 ms by
 * default), which {@link #awaitSearchable} waits out.
 */
final class HttpCache implements CacheUnderTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int WINDOW = 16;
  private static final Duration REFRESH_WAIT = Duration.ofMillis(500);

  private final URI base;
  private final String key;
  private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  HttpCache(String url, String key) {
    this.base = URI.create(url.replaceAll("/+$", "") + "/");
    this.key = key;
  }

  @Override
  public CompletableFuture<?> store(String namespace, String prompt, String response, Scope scope, String lookupId) {
    ObjectNode body = body(namespace, prompt, scope).put("response", response);
    if (lookupId != null) {
      body.put("lookup_id", lookupId);
    }
    return post("v1/entries", body);
  }

  @Override
  public CompletableFuture<Answer> lookup(String namespace, String prompt, Scope scope, double threshold) {
    return post("v1/lookup", body(namespace, prompt, scope).put("threshold", threshold)).thenApply(a -> {
      boolean hit = a.path("hit").asBoolean();
      return new Answer(hit, hit ? (float) a.path("similarity").asDouble() : Float.NaN,
          hit ? a.path("response").asText() : null, a.path("lookup_id").asText(null));
    });
  }

  private static ObjectNode body(String namespace, String prompt, Scope scope) {
    ObjectNode b = JSON.createObjectNode().put("namespace", namespace).put("prompt", prompt);
    if (!scope.isEmpty()) {
      b.set("scope", JSON.valueToTree(scope.attributes()));
    }
    return b;
  }

  private CompletableFuture<JsonNode> post(String path, ObjectNode body) {
    HttpRequest.Builder r = HttpRequest.newBuilder(base.resolve(path)).timeout(Duration.ofSeconds(60))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    if (key != null && !key.isBlank()) {
      r.header("Authorization", "Bearer " + key);
    }
    return client.sendAsync(r.build(), HttpResponse.BodyHandlers.ofString()).thenApply(resp -> {
      if (resp.statusCode() / 100 != 2) {
        throw new IllegalStateException("POST " + base.resolve(path) + " answered " + resp.statusCode() + ": " + resp.body());
      }
      try {
        return JSON.readTree(resp.body());
      } catch (java.io.IOException e) {
        throw new IllegalStateException("POST " + base.resolve(path) + " answered with invalid JSON: " + resp.body(), e);
      }
    });
  }

  @Override
  public void awaitSearchable() {
    try {
      Thread.sleep(REFRESH_WAIT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for the server's index refresh", e);
    }
  }

  @Override
  public int window() {
    return WINDOW;
  }

  @Override
  public void close() {
    client.close();
  }
}
