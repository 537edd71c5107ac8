package dev.semcache.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** A small JSON client of one semcache server on loopback, one connection pool per instance. */
final class JsonClient {
  static final ObjectMapper JSON = new ObjectMapper();

  /** An answer: its status and its JSON body (null if it had none). */
  record Reply(int status, JsonNode json) {
    boolean ok() {
      return status / 100 == 2;
    }
  }

  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final int port;

  JsonClient(int port) {
    this.port = port;
  }

  /**
   * @throws IOException if the server could not be reached or the answer did not come (it died)
   */
  Reply call(String method, String path, Object body) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(60));
    if (body != null) {
      b.header("Content-Type", "application/json");
      b.method(method, HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<byte[]> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
    JsonNode json = r.body().length == 0 ? null : JSON.readTree(r.body());
    return new Reply(r.statusCode(), json);
  }
}
