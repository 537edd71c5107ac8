package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.config.ApiKeyConfig;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.config.ProxyConfig;
import dev.semcache.server.proxy.FakeUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The v1 API's tenant protections on proxy mode's OpenAI-compatible routes: rate limits of keys and
 * namespaces (429 with Retry-After, counted together with the key's v1 calls), and keys pinned to scope
 * attributes, which only ever read and write their own partition. A real server (manual clock, so that no
 * bucket refills during a test) in front of a real fake upstream.
 */
class ProxyQuotaTest {
  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir
  static Path dir;
  static FakeUpstream upstream;
  static TestServer server;
  static ManualClock clock = new ManualClock();

  @BeforeAll
  static void start() throws IOException {
    upstream = new FakeUpstream();
    var limited = TestServer.key("batch-job", "limited-secret", "write", "*");
    var alice = TestServer.key("alice-app", "alice-secret", "write", "chat");
    var bob = TestServer.key("bob-app", "bob-secret", "write", "chat");
    List<ApiKeyConfig> keys = List.of(TestServer.key("ops", "admin-secret", "admin", "*"),
        new ApiKeyConfig(limited.name(), limited.sha256(), limited.role(), limited.namespaces(), Map.of(), 1.0, 2, null),
        new ApiKeyConfig(alice.name(), alice.sha256(), alice.role(), alice.namespaces(), Map.of("user", "alice"), null, null, null),
        new ApiKeyConfig(bob.name(), bob.sha256(), bob.role(), bob.namespaces(), Map.of("user", "bob"), null, null, null),
        TestServer.key("team-app", "team-secret", "write", "chat", "small"));
    server = new TestServer(TestServer.config(dir, keys, HttpConfig.defaults())
        .withProxy(new ProxyConfig(upstream.baseUrl(), 5, 5, "default", false)), clock);
    for (String ns : List.of("faq", "chat")) {
      assertThat(server.call("PUT", "/v1/namespaces/" + ns, Map.of(), "admin-secret").status()).isEqualTo(201);
    }
    assertThat(server.call("PUT", "/v1/namespaces/small", Map.of("rate_limit_per_s", 0.5, "rate_burst", 1),
        "admin-secret").status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    server.close();
    upstream.close();
  }

  record Reply(int status, HttpResponse<String> raw) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    JsonNode json() {
      try {
        return TestServer.JSON.readTree(raw.body());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  static Reply chat(String key, String namespace, String question) throws Exception {
    String body = "{\"model\":\"gpt-test\",\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":"
        + TestServer.JSON.writeValueAsString(question) + "}]}";
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
        .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
        .header("Authorization", "Bearer sk-upstream").header("X-Semcache-Key", key)
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (namespace != null) {
      b.header("X-Semcache-Namespace", namespace);
    }
    HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Reply(r.statusCode(), r);
  }

  @Test
  void aKeysRateLimitCountsItsProxiedAndItsV1CallsTogether() throws Exception {
    assertThat(chat("limited-secret", "faq", "What are your opening hours?").status()).isEqualTo(200);
    assertThat(server.call("POST", "/v1/lookup", Map.of("namespace", "faq", "prompt", "Where are you?"),
        "limited-secret").status()).isEqualTo(200);
    int before = upstream.chatCalls();
    Reply over = chat("limited-secret", "faq", "What are your opening hours on Sunday?");
    assertThat(over.status()).isEqualTo(429);
    assertThat(over.header("Retry-After")).isEqualTo("1");
    assertThat(over.json().path("error").path("code").asText()).isEqualTo("rate_limited");
    assertThat(over.json().path("error").path("message").asText()).contains("key 'batch-job'");
    assertThat(upstream.chatCalls()).as("a refused call never reaches the upstream").isEqualTo(before);
    assertThat(server.call("POST", "/v1/lookup", Map.of("namespace", "faq", "prompt", "Where are you?"),
        "limited-secret").status()).as("the v1 call after it is refused too").isEqualTo(429);
    clock.advance(Duration.ofSeconds(1));
    assertThat(chat("limited-secret", "faq", "What are your opening hours on Sunday?").status()).isEqualTo(200);
  }

  @Test
  void aNamespacesRateLimitAppliesToProxiedCalls() throws Exception {
    assertThat(chat("team-secret", "small", "Is there a free plan?").status()).isEqualTo(200);
    Reply over = chat("team-secret", "small", "Is there a student discount?");
    assertThat(over.status()).isEqualTo(429);
    assertThat(over.header("Retry-After")).isEqualTo("2");
    assertThat(over.json().path("error").path("message").asText()).contains("namespace 'small'");
    assertThat(chat("team-secret", "chat", "Is there a student discount?").status())
        .as("another namespace is not limited").isEqualTo(200);
  }

  @Test
  void aPinnedKeyReadsAndWritesOnlyItsOwnPartitionThroughTheProxy() throws Exception {
    String q = "Which of my orders shipped last week?";
    int calls = upstream.chatCalls();
    assertThat(chat("alice-secret", null, q).header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(chat("alice-secret", null, q).header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(upstream.chatCalls()).isEqualTo(calls + 1);
    assertThat(chat("bob-secret", null, q).header("X-Cache-Status")).as("bob is not served alice's answer")
        .isEqualTo("MISS");
    assertThat(chat("team-secret", "chat", q).header("X-Cache-Status"))
        .as("nor is a key of the namespace pinned to no scope").isEqualTo("MISS");
    server.refresh();
    assertThat(chat("bob-secret", null, "Which of my orders shipped during the last week?").header("X-Cache-Status"))
        .as("bob's reworded question meets bob's entry only").isEqualTo("HIT-SEMANTIC");
    assertThat(upstream.chatCalls()).isEqualTo(calls + 3);
    assertThat(chat("alice-secret", null, q).header("X-Cache-Status")).isEqualTo("HIT-EXACT");
  }
}
