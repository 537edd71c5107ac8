package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.config.ProxyConfig;
import dev.semcache.server.proxy.FakeUpstream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxy mode with the callers people really use, base URL switched to semcache: the official {@code
 * openai} npm client (Node) and {@code curl}, against a real semcache and the {@link FakeUpstream}.
 *
 * <p>Needs {@code node} (20 or later), {@code npm} and {@code curl} on the PATH ({@code .ci/run} installs
 * them when missing). The {@code openai} package is installed from {@code src/test/node/package-lock.json}
 * with {@code npm ci} the first time this test runs, into {@code src/test/node/node_modules} (ignored by git).
 */
class ProxyClientsTest {
  static final Path NODE_DIR = Path.of("src/test/node");
  @TempDir
  static Path dir;
  static FakeUpstream upstream;
  static TestServer server;

  @BeforeAll
  static void start() throws Exception {
    for (String tool : List.of("node", "npm", "curl")) {
      if (run(List.of(tool, "--version"), Map.of(), 30).exit() != 0) {
        throw new IllegalStateException("ProxyClientsTest needs '" + tool + "' on the PATH (Debian: apt-get install"
            + " nodejs npm curl; Node 20 or later)");
      }
    }
    if (!Files.exists(NODE_DIR.resolve("node_modules/openai/package.json"))) {
      Run install = run(List.of("npm", "ci", "--no-audit", "--no-fund", "--prefix", NODE_DIR.toString()), Map.of(), 300);
      if (install.exit() != 0) {
        throw new IllegalStateException("npm ci in " + NODE_DIR.toAbsolutePath() + " failed (exit " + install.exit()
            + "); it installs the openai client from the npm registry:\n" + install.output());
      }
    }
    upstream = new FakeUpstream();
    server = new TestServer(TestServer.config(dir).withProxy(new ProxyConfig(upstream.baseUrl(), 5, 5, "default", false)),
        new ManualClock());
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  record Run(int exit, String output) {}

  static Run run(List<String> command, Map<String, String> env, int timeoutS) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      return new Run(127, e.getMessage());
    }
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(timeoutS, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(command + " did not finish in " + timeoutS + " s");
    }
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  String base() {
    return "http://127.0.0.1:" + server.port() + "/v1";
  }

  @Test
  void theOfficialOpenAiClient() throws Exception {
    Run r = run(List.of("node", NODE_DIR.resolve("proxy-client.mjs").toString()),
        Map.of("SEMCACHE_URL", base(), "UPSTREAM_CALLS_URL", "http://127.0.0.1:" + upstream.baseUrl().split(":")[2]
            .replace("/v1", "") + "/calls"), 60);
    assertThat(r.exit()).as(r.output()).isZero();
    JsonNode out = TestServer.JSON.readTree(r.output().lines().reduce((a, b) -> b).orElseThrow());

    JsonNode plain = out.get("plain");
    assertThat(plain.get(0).path("status").asText()).isEqualTo("MISS");
    assertThat(plain.get(1).path("status").asText()).isEqualTo("HIT-EXACT");
    assertThat(plain.get(1).path("content").asText()).isEqualTo(plain.get(0).path("content").asText())
        .contains("Mona Lisa");
    assertThat(plain.get(1).path("id").asText()).startsWith("chatcmpl-semcache-");
    assertThat(plain.get(1).path("model").asText()).isEqualTo("gpt-test");
    assertThat(plain.get(1).path("usage").path("total_tokens").asInt()).isEqualTo(18);
    assertThat(out.get("plainCalls").asInt()).isEqualTo(1);

    JsonNode stream = out.get("stream");
    assertThat(stream.get(0).path("status").asText()).isEqualTo("MISS");
    assertThat(stream.get(1).path("status").asText()).isEqualTo("HIT-EXACT");
    assertThat(stream.get(2).path("status").asText()).isEqualTo("HIT-EXACT");
    for (JsonNode s : stream) {
      assertThat(s.path("content").asText()).contains("Name the colours of the rainbow.");
      assertThat(s.path("finish").asText()).isEqualTo("stop");
    }
    assertThat(stream.get(1).path("chunks").asInt()).isGreaterThanOrEqualTo(3);
    assertThat(out.get("streamCalls").asInt()).isEqualTo(1);

    JsonNode multi = out.get("multiTurn");
    assertThat(multi.get(0).path("status").asText()).isEqualTo("MISS");
    assertThat(multi.get(1).path("status").asText()).isEqualTo("MISS");
    assertThat(multi.get(1).path("content").asText()).contains("France").doesNotContain("Hamlet");
    assertThat(multi.get(2).path("status").asText()).isEqualTo("HIT-EXACT");
    assertThat(multi.get(2).path("content").asText()).contains("Hamlet");
    assertThat(multi.get(3).path("content").asText()).contains("France").doesNotContain("Hamlet");
    assertThat(out.get("multiTurnCalls").asInt()).isEqualTo(2);

    JsonNode tools = out.get("tools");
    for (JsonNode t : tools) {
      assertThat(t.path("status").asText()).isEqualTo("MISS");
      assertThat(t.path("finish").asText()).isEqualTo("tool_calls");
      assertThat(t.path("tool").asText()).isEqualTo("get_weather");
    }
    assertThat(out.get("toolsCalls").asInt()).isEqualTo(2);

    for (JsonNode e : out.get("errors")) {
      assertThat(e.path("failed").asBoolean()).isTrue();
      assertThat(e.path("status").asInt()).isEqualTo(500);
      assertThat(e.path("message").asText()).contains("fake upstream error 500");
    }
    assertThat(out.get("errorsCalls").asInt()).isEqualTo(2);

    JsonNode bypass = out.get("bypass");
    assertThat(bypass.get(0).path("status").asText()).isEqualTo("BYPASS");
    assertThat(bypass.get(1).path("status").asText()).isEqualTo("MISS");
    assertThat(bypass.get(2).path("status").asText()).isEqualTo("HIT-EXACT");
    assertThat(bypass.get(3).path("status").asText()).isEqualTo("BYPASS");
    assertThat(out.get("bypassCalls").asInt()).isEqualTo(3);

    for (JsonNode d : out.get("die")) {
      assertThat(d.path("failed").asBoolean()).as(d.toString()).isTrue();
    }
    assertThat(out.get("dieCalls").asInt()).isEqualTo(2); // the interrupted answer was not stored

    assertThat(upstream.authorizations).contains("Bearer sk-node-upstream-key");
  }

  List<String> curl(String... args) {
    List<String> c = new ArrayList<>(List.of("curl", "-sS", "--max-time", "20", "-D", "-", "-H",
        "Content-Type: application/json", "-H", "Authorization: Bearer sk-curl-key", "-H", "X-Semcache-Namespace: curl"));
    c.addAll(List.of(args));
    return c;
  }

  static String body(String text, boolean stream) {
    return "{\"model\":\"gpt-test\",\"temperature\":0,\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\""
        + text + "\"}]}";
  }

  @Test
  void curl() throws Exception {
    String url = base() + "/chat/completions";
    Run miss = run(curl("-d", body("What is the largest ocean?", false), url), Map.of(), 30);
    assertThat(miss.exit()).as(miss.output()).isZero();
    assertThat(miss.output()).containsIgnoringCase("x-cache-status: MISS").contains("\"chatcmpl-fake\"");
    Run hit = run(curl("-d", body("What is the largest ocean?", false), url), Map.of(), 30);
    assertThat(hit.output()).containsIgnoringCase("x-cache-status: HIT-EXACT").containsIgnoringCase("age: 0")
        .contains("What is the largest ocean?");

    Run streamMiss = run(curl("-N", "-d", body("Name a prime number.", true), url), Map.of(), 30);
    assertThat(streamMiss.output()).containsIgnoringCase("x-cache-status: MISS")
        .containsIgnoringCase("transfer-encoding: chunked").contains("data: [DONE]");
    Run streamHit = run(curl("-N", "-d", body("Name a prime number.", true), url), Map.of(), 30);
    assertThat(streamHit.output()).containsIgnoringCase("x-cache-status: HIT-EXACT")
        .containsIgnoringCase("content-type: text/event-stream").contains("chat.completion.chunk").endsWith("data: [DONE]\n\n");

    Run noStore = run(curl("-H", "Cache-Control: no-store", "-d", body("What is the largest ocean?", false), url),
        Map.of(), 30);
    assertThat(noStore.output()).containsIgnoringCase("x-cache-status: BYPASS");

    Run error = run(curl("-d", body("Break [error 502]", false), url), Map.of(), 30);
    assertThat(error.output()).startsWith("HTTP/1.1 502").contains("fake upstream error 502");

    int before = upstream.chatCalls();
    Run died = run(curl("-N", "-d", body("[die] Go on and on.", true), url), Map.of(), 30);
    assertThat(died.exit()).as(died.output()).isNotZero(); // curl reports the cut-off transfer
    assertThat(died.output()).contains("data: ").doesNotContain("[DONE]");
    Run again = run(curl("-N", "-d", body("[die] Go on and on.", true), url), Map.of(), 30);
    assertThat(again.exit()).isNotZero();
    assertThat(upstream.chatCalls()).isEqualTo(before + 2);
  }
}
