package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.server.http.RawHttp.Answer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for "loopback mode trusts any local caller": without keys, a web page could poison or
 * read the cache through DNS rebinding (a foreign {@code Host}), a cross-site fetch (a foreign {@code
 * Origin}) or a "simple" request without a JSON content type. A real server without keys.
 */
class LoopbackModeTest {
  static TestServer server;

  @BeforeAll
  static void start() throws IOException {
    Path dir = Files.createTempDirectory("loopback");
    server = new TestServer(dir);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Answer send(String contentType, String body, String... headers) throws IOException {
    byte[] raw = RawHttp.request("POST", "/v1/entries", contentType, body.getBytes(StandardCharsets.UTF_8), headers);
    return RawHttp.send(server.port(), raw, 1, 10_000).first();
  }

  private static String store(String prompt) {
    return "{\"namespace\":\"web\",\"prompt\":\"" + prompt + "\",\"response\":\"poisoned\"}";
  }

  @Test
  void requestsAWebPageCouldMakeAreRefusedAndChangeNothing() throws IOException {
    Answer rebound = sendWithHost("evil.example:8080", store("rebinding"));
    assertThat(rebound.status()).isEqualTo(403);
    assertThat(rebound.body()).contains("foreign_host");
    Answer crossSite = send("application/json", store("cross site"), "Origin: https://evil.example");
    assertThat(crossSite.status()).isEqualTo(403);
    assertThat(crossSite.body()).contains("foreign_origin");
    Answer nullOrigin = send("application/json", store("sandboxed"), "Origin: null");
    assertThat(nullOrigin.status()).isEqualTo(403);
    Answer noType = send(null, store("no content type"));
    assertThat(noType.status()).isEqualTo(415);
    assertThat(noType.body()).contains("no Content-Type");
    Answer textPlain = send("text/plain", store("text plain"));
    assertThat(textPlain.status()).isEqualTo(415);
    assertThat(server.call("GET", "/v1/namespaces/web", null).status()).as("nothing was created").isEqualTo(404);

    Answer local = send("application/json", store("from the dashboard"), "Origin: http://127.0.0.1:" + server.port());
    assertThat(local.status()).isEqualTo(201);
    assertThat(sendWithHost("localhost:" + server.port(), store("by name")).status()).isEqualTo(201);
    assertThat(sendWithHost("[::1]:" + server.port(), store("by v6")).status()).isEqualTo(201);
    byte[] health = "GET /healthz HTTP/1.1\r\nHost: evil.example\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(RawHttp.send(server.port(), health, 1, 10_000).first().status()).isEqualTo(200);
  }

  private static Answer sendWithHost(String host, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    byte[] head = ("POST /v1/entries HTTP/1.1\r\nHost: " + host + "\r\nContent-Type: application/json\r\nContent-Length: "
        + b.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1);
    byte[] all = new byte[head.length + b.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(b, 0, all, head.length, b.length);
    return RawHttp.send(server.port(), all, 1, 10_000).first();
  }

  @Test
  void hostAndOriginParsing() {
    assertThat(HostCheck.loopbackHostHeader("localhost")).isTrue();
    assertThat(HostCheck.loopbackHostHeader("LOCALHOST:8080")).isTrue();
    assertThat(HostCheck.loopbackHostHeader("127.0.0.1:1")).isTrue();
    assertThat(HostCheck.loopbackHostHeader("127.8.9.10")).isTrue();
    assertThat(HostCheck.loopbackHostHeader("[::1]:8080")).isTrue();
    assertThat(HostCheck.loopbackHostHeader("localhost.evil.example")).isFalse();
    assertThat(HostCheck.loopbackHostHeader("127.0.0.1.nip.io")).isFalse();
    assertThat(HostCheck.loopbackHostHeader("127.0.0.1:80@evil")).isFalse();
    assertThat(HostCheck.loopbackHostHeader("[::1]evil")).isFalse();
    assertThat(HostCheck.loopbackHostHeader("0.0.0.0")).isFalse();
    assertThat(HostCheck.loopbackOrigin("http://localhost:3000")).isTrue();
    assertThat(HostCheck.loopbackOrigin("http://[::1]:3000")).isTrue();
    assertThat(HostCheck.loopbackOrigin("null")).isFalse();
    assertThat(HostCheck.loopbackOrigin("file://")).isFalse();
    assertThat(HostCheck.loopbackOrigin("http://localhost.evil.example")).isFalse();
  }
}
