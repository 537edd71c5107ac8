package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.config.ProxyConfig;
import dev.semcache.server.proxy.FakeUpstream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proxy mode end to end with the JDK's HTTP client as the caller: a real semcache on 127.0.0.1 (real
 * model, RocksDB, Lucene) in front of a real fake upstream ({@link FakeUpstream}) on 127.0.0.1. Each
 * test uses its own namespace, so the tests do not see each other's entries.
 */
class ProxyModeTest {
  @TempDir
  static Path dir;
  static FakeUpstream upstream;
  static TestServer server;
  static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @BeforeAll
  static void start() throws IOException {
    upstream = new FakeUpstream();
    server = new TestServer(TestServer.config(dir).withProxy(new ProxyConfig(upstream.baseUrl(), 5, 5, "default", true)),
        new ManualClock());
  }

  @AfterAll
  static void stop() {
    server.close();
    upstream.close();
  }

  record Reply(int status, HttpResponse<String> raw, JsonNode json) {
    String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }

    String content() {
      return json.path("choices").path(0).path("message").path("content").asText(null);
    }
  }

  static ObjectNode request(String... userAndAssistantTurns) {
    ObjectNode r = TestServer.JSON.createObjectNode().put("model", "gpt-test").put("temperature", 0);
    ArrayNode m = r.putArray("messages");
    m.addObject().put("role", "system").put("content", "You are terse.");
    for (int i = 0; i < userAndAssistantTurns.length; i++) {
      m.addObject().put("role", i % 2 == 0 ? "user" : "assistant").put("content", userAndAssistantTurns[i]);
    }
    return r;
  }

  static Reply post(String ns, String path, Object body, String... headers) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
          .timeout(Duration.ofSeconds(30))
          .header("Content-Type", "application/json")
          .header("Authorization", "Bearer sk-upstream-secret-123")
          .header("X-Semcache-Namespace", ns)
          .POST(HttpRequest.BodyPublishers.ofString(body instanceof String s ? s : TestServer.JSON.writeValueAsString(body)));
      for (int i = 0; i < headers.length; i += 2) {
        b.header(headers[i], headers[i + 1]);
      }
      HttpResponse<String> r = CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
      JsonNode json = r.headers().firstValue("content-type").orElse("").startsWith("application/json")
          ? TestServer.JSON.readTree(r.body()) : null;
      return new Reply(r.statusCode(), r, json);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }

  static Reply chat(String ns, Object body, String... headers) {
    return post(ns, "/v1/chat/completions", body, headers);
  }

  /** The text a stream of chat completion chunks spells out; fails unless it ends with [DONE]. */
  static String assemble(String sse) {
    StringBuilder out = new StringBuilder();
    List<String> data = Stream.of(sse.split("\n")).filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    assertThat(data).isNotEmpty();
    assertThat(data.get(data.size() - 1)).isEqualTo("[DONE]");
    String finish = null;
    for (String d : data.subList(0, data.size() - 1)) {
      try {
        JsonNode c = TestServer.JSON.readTree(d);
        assertThat(c.path("object").asText()).isEqualTo("chat.completion.chunk");
        for (JsonNode choice : c.path("choices")) {
          out.append(choice.path("delta").path("content").asText(""));
          if (choice.hasNonNull("finish_reason")) {
            finish = choice.get("finish_reason").asText();
          }
        }
      } catch (IOException e) {
        throw new AssertionError("not JSON: " + d, e);
      }
    }
    assertThat(finish).isEqualTo("stop");
    return out.toString();
  }

  @Test
  void missIsForwardedAndStoredThenTheSameRequestIsAnExactHitWithoutCallingTheUpstream() {
    ObjectNode req = request("Who wrote Hamlet?");
    int before = upstream.chatCalls();
    Reply miss = chat("plain", req);
    assertThat(miss.status()).isEqualTo(200);
    assertThat(miss.header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(miss.header("X-Semcache-Lookup-Id")).matches("l[0-9a-f]{32}");
    assertThat(miss.json().path("id").asText()).isEqualTo("chatcmpl-fake"); // the upstream's answer, unchanged
    assertThat(miss.content()).isEqualTo(FakeUpstream.answerTo(req));
    assertThat(upstream.chatCalls()).isEqualTo(before + 1);

    Reply hit = chat("plain", req);
    assertThat(hit.status()).isEqualTo(200);
    assertThat(hit.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(hit.header("X-Cache-Similarity")).isEqualTo("1.0000");
    assertThat(hit.header("Age")).isEqualTo("0");
    assertThat(hit.header("X-Semcache-Lookup-Id")).matches("l[0-9a-f]{32}").isNotEqualTo(miss.header("X-Semcache-Lookup-Id"));
    assertThat(hit.content()).isEqualTo(miss.content());
    assertThat(hit.json().path("object").asText()).isEqualTo("chat.completion");
    assertThat(hit.json().path("model").asText()).isEqualTo("gpt-test");
    assertThat(hit.json().path("id").asText()).startsWith("chatcmpl-semcache-");
    assertThat(hit.json().path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
    assertThat(hit.json().path("usage")).isEqualTo(miss.json().path("usage"));
    assertThat(upstream.chatCalls()).isEqualTo(before + 1);

    server.clock.advance(Duration.ofSeconds(42));
    assertThat(chat("plain", req).header("Age")).isEqualTo("42");

    String metrics = server.call("GET", "/metrics", null).text();
    assertThat(metrics).contains("semcache_proxy_answers_total{namespace=\"plain\",status=\"HIT-EXACT\"} 2.0")
        .contains("semcache_proxy_answers_total{namespace=\"plain\",status=\"MISS\"} 1.0")
        .contains("semcache_lookups_total{namespace=\"plain\",result=\"exact\"} 2.0")
        .contains("semcache_stores_total{embedding=\"reused\",namespace=\"plain\"} 1.0");
  }

  @Test
  void aRequestMeaningTheSameInTheSameSettingsIsASemanticHit() {
    // No audits here: a sampled hit would call the upstream in the background, and this test counts calls.
    server.call("PUT", "/v1/namespaces/semantic", Map.of("audit_rate", 0.0));
    chat("semantic", request("What is the capital city of France?"));
    server.refresh();
    int before = upstream.chatCalls();
    Reply hit = chat("semantic", request("What's the capital of France?"), "X-Semcache-Threshold", "0.75");
    assertThat(hit.header("X-Cache-Status")).isEqualTo("HIT-SEMANTIC");
    assertThat(Double.parseDouble(hit.header("X-Cache-Similarity"))).isBetween(0.75, 1.0);
    assertThat(hit.content()).isEqualTo(FakeUpstream.answerTo(request("What is the capital city of France?")));
    assertThat(upstream.chatCalls()).isEqualTo(before);
    // Another model is another fingerprint: never served the first model's answer.
    ObjectNode otherModel = request("What's the capital of France?").put("model", "gpt-other");
    assertThat(chat("semantic", otherModel, "X-Semcache-Threshold", "0.75").header("X-Cache-Status")).isEqualTo("MISS");
    // So is another system prompt.
    ObjectNode otherSystem = request("What's the capital of France?");
    ((ObjectNode) otherSystem.withArray("messages").get(0)).put("content", "You are verbose.");
    assertThat(chat("semantic", otherSystem, "X-Semcache-Threshold", "0.75").header("X-Cache-Status")).isEqualTo("MISS");
  }

  @Test
  void aFollowUpNeverHitsAnotherConversationsAnswer() {
    ObjectNode hamlet = request("Who wrote Hamlet?", "William Shakespeare.", "and how old is he?");
    ObjectNode france = request("Who is the president of France?", "Emmanuel Macron.", "and how old is he?");
    Reply a = chat("multi", hamlet);
    assertThat(a.header("X-Cache-Status")).isEqualTo("MISS");
    server.refresh();
    Reply b = chat("multi", france);
    assertThat(b.header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(b.content()).contains("Who is the president of France?").doesNotContain("Hamlet");
    server.refresh();
    Reply again = chat("multi", hamlet);
    assertThat(again.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(again.content()).contains("Hamlet");
    assertThat(chat("multi", france).content()).contains("France").doesNotContain("Hamlet");
  }

  @Test
  void aFingerprintWindowOnlyLooksAtTheLastEarlierMessages() {
    assertThat(server.call("PUT", "/v1/namespaces/window", Map.of("fingerprint_window", 1)).status()).isEqualTo(201);
    chat("window", request("Tell me about cats.", "Cats are small felines.", "Thanks! One more thing."));
    // Different first turn, same last earlier message and last turn: inside the window they agree.
    Reply r = chat("window", request("Tell me about dogs.", "Cats are small felines.", "Thanks! One more thing."));
    assertThat(r.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(server.call("PUT", "/v1/namespaces/window", Map.of("fingerprint_window", -2)).errorCode())
        .isEqualTo("invalid_request");
  }

  @Test
  void aStreamIsRelayedAndStoredAndSharesItsEntryWithNonStreamingRequests() {
    ObjectNode req = request("Name three primary colours.");
    ObjectNode streaming = req.deepCopy().put("stream", true);
    streaming.putObject("stream_options").put("include_usage", true); // so the stored answer has its usage
    Reply miss = chat("stream", streaming);
    assertThat(miss.status()).isEqualTo(200);
    assertThat(miss.header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(miss.header("Content-Type")).startsWith("text/event-stream");
    assertThat(miss.raw().body()).contains("chatcmpl-fake"); // the upstream's own chunks
    assertThat(assemble(miss.raw().body())).isEqualTo(FakeUpstream.answerTo(req));

    Reply whole = chat("stream", req);
    assertThat(whole.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(whole.content()).isEqualTo(FakeUpstream.answerTo(req));
    assertThat(whole.json().path("usage").path("total_tokens").asInt()).isEqualTo(18);

    int before = upstream.chatCalls();
    Reply replay = chat("stream", streaming);
    assertThat(replay.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(replay.header("Content-Type")).startsWith("text/event-stream");
    assertThat(assemble(replay.raw().body())).isEqualTo(FakeUpstream.answerTo(req));
    assertThat(replay.raw().body()).doesNotContain("chatcmpl-fake").contains("\"usage\"");
    assertThat(upstream.chatCalls()).isEqualTo(before);
  }

  @Test
  void aStreamIsNotBufferedTheFirstChunkArrivesLongBeforeTheLast() throws Exception {
    ObjectNode req = request("[slow] Count slowly from one to ten, please, word by word.").put("stream", true);
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").header("X-Semcache-Namespace", "ttfb")
        .POST(HttpRequest.BodyPublishers.ofString(req.toString())).build();
    long start = System.nanoTime();
    HttpResponse<Stream<String>> res = CLIENT.send(r, HttpResponse.BodyHandlers.ofLines());
    List<Long> at = new ArrayList<>();
    res.body().filter(l -> l.startsWith("data: ")).forEach(l -> at.add(System.nanoTime() - start));
    // The upstream waits 40 ms before each of its ~20 chunks: relayed as they come, the first is seen
    // hundreds of milliseconds before the last; buffered, all would arrive together.
    assertThat(at.size()).isGreaterThan(10);
    assertThat((at.get(at.size() - 1) - at.get(0)) / 1_000_000).isGreaterThan(8L * FakeUpstream.SLOW_MS);
  }

  @Test
  void upstreamErrorsArePassedThroughAsTheyCameAndNeverCached() {
    for (int status : new int[] {500, 429, 400}) {
      ObjectNode req = request("Break please [error " + status + "]");
      int before = upstream.chatCalls();
      Reply first = chat("errors", req);
      Reply second = chat("errors", req);
      assertThat(first.status()).isEqualTo(status);
      assertThat(first.json().path("error").path("code").asText()).isEqualTo("fake_" + status);
      assertThat(first.header("X-Cache-Status")).isEqualTo("MISS");
      assertThat(second.status()).isEqualTo(status);
      assertThat(second.header("X-Cache-Status")).isEqualTo("MISS");
      assertThat(upstream.chatCalls()).isEqualTo(before + 2);
    }
    ObjectNode streamed = request("Break the stream [error 503]").put("stream", true);
    Reply s = chat("errors", streamed);
    assertThat(s.status()).isEqualTo(503);
    assertThat(s.json().path("error").path("message").asText()).isEqualTo("fake upstream error 503");
  }

  @Test
  void toolCallsAreNeverStoredAndToolResultsAreMatchedExactly() {
    ObjectNode req = request("[tool] What is the weather in Paris?");
    req.putArray("tools").addObject().put("type", "function").putObject("function").put("name", "get_weather")
        .putObject("parameters").put("type", "object");
    int before = upstream.chatCalls();
    Reply first = chat("tools", req);
    assertThat(first.json().path("choices").path(0).path("finish_reason").asText()).isEqualTo("tool_calls");
    assertThat(chat("tools", req).header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(chat("tools", req.deepCopy().put("stream", true)).header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(upstream.chatCalls()).isEqualTo(before + 3);

    ObjectNode withResult = req.deepCopy();
    ArrayNode m = withResult.withArray("messages");
    ObjectNode call = m.addObject().put("role", "assistant");
    call.putNull("content");
    call.putArray("tool_calls").addObject().put("id", "call_1").put("type", "function").putObject("function")
        .put("name", "get_weather").put("arguments", "{\"city\":\"Paris\"}");
    m.addObject().put("role", "tool").put("tool_call_id", "call_1").put("content", "18 C, sunny");
    assertThat(chat("tools", withResult).header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(chat("tools", withResult).header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    ((ObjectNode) withResult.withArray("messages").get(3)).put("content", "19 C, sunny");
    assertThat(chat("tools", withResult).header("X-Cache-Status")).isEqualTo("MISS");
  }

  @Test
  void cacheControlHeadersBypassRefreshAndLimitAge() {
    ObjectNode req = request("What is the boiling point of water at sea level?");
    int before = upstream.chatCalls();
    Reply noStore = chat("headers", req, "Cache-Control", "no-store");
    assertThat(noStore.header("X-Cache-Status")).isEqualTo("BYPASS");
    assertThat(noStore.header("X-Semcache-Reason")).contains("no-store");
    assertThat(chat("headers", req).header("X-Cache-Status")).isEqualTo("MISS"); // no-store stored nothing
    assertThat(chat("headers", req).header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    Reply noCache = chat("headers", req, "Cache-Control", "no-cache");
    assertThat(noCache.header("X-Cache-Status")).isEqualTo("BYPASS");
    assertThat(upstream.chatCalls()).isEqualTo(before + 3);

    server.clock.advance(Duration.ofSeconds(100));
    Reply young = chat("headers", req, "Cache-Control", "max-age=1000");
    assertThat(young.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    Reply tooOld = chat("headers", req, "Cache-Control", "max-age=10");
    assertThat(tooOld.header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(tooOld.header("X-Semcache-Reason")).contains("max-age=10");
    assertThat(upstream.chatCalls()).isEqualTo(before + 4);
    // The fresh answer was stored: a hit with a young age now.
    Reply fresh = chat("headers", req, "Cache-Control", "max-age=10");
    assertThat(fresh.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(Long.parseLong(fresh.header("Age"))).isLessThanOrEqualTo(10);

    Reply badThreshold = chat("headers", req, "X-Semcache-Threshold", "1.5");
    assertThat(badThreshold.status()).isEqualTo(400);
    assertThat(badThreshold.json().path("error").path("message").asText())
        .isEqualTo("X-Semcache-Threshold must be a number between 0 and 1; X-Semcache-Threshold=1.5");
    assertThat(chat("headers", req, "Cache-Control", "max-age=soon").status()).isEqualTo(400);
    assertThat(chat("headers", req, "X-Semcache-TTL", "99999999999").json().path("error").path("message").asText())
        .startsWith("X-Semcache-TTL: ttl_s must be between 1 and the namespace's max_ttl_s");
    assertThat(upstream.chatCalls()).isEqualTo(before + 4);
  }

  @Test
  void nondeterministicAndMultiChoiceRequestsAreNotCachedUnlessTheNamespaceSaysSo() {
    ObjectNode sampled = request("Write a haiku about autumn.").put("temperature", 0.8);
    Reply r = chat("sampling", sampled);
    assertThat(r.header("X-Cache-Status")).isEqualTo("BYPASS");
    assertThat(r.header("X-Semcache-Reason")).contains("temperature 0.8");
    ObjectNode unnamed = request("Write a haiku about winter.");
    unnamed.remove("temperature");
    assertThat(chat("sampling", unnamed).header("X-Semcache-Reason")).contains("names no temperature");
    assertThat(chat("sampling", request("Two haikus.").put("n", 2)).header("X-Cache-Status")).isEqualTo("BYPASS");

    assertThat(server.call("PUT", "/v1/namespaces/sampling", Map.of("cache_nondeterministic", true)).status())
        .isEqualTo(201);
    assertThat(chat("sampling", sampled).header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(chat("sampling", sampled).header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(server.call("GET", "/v1/namespaces/sampling", null).json().path("cache_nondeterministic").asBoolean())
        .isTrue();
  }

  @Test
  void imagePartsPassThroughUnlessTheNamespaceCachesThemExactly() {
    ObjectNode req = TestServer.JSON.createObjectNode().put("model", "gpt-test").put("temperature", 0);
    ArrayNode content = req.putArray("messages").addObject().put("role", "user").putArray("content");
    content.addObject().put("type", "text").put("text", "What is in this picture?");
    content.addObject().put("type", "image_url").putObject("image_url").put("url", "data:image/png;base64,AAAA");
    Reply r = chat("images", req);
    assertThat(r.header("X-Cache-Status")).isEqualTo("BYPASS");
    assertThat(r.header("X-Semcache-Reason")).contains("non-text");
    server.call("PUT", "/v1/namespaces/images", Map.of("cache_non_text", true));
    assertThat(chat("images", req).header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(chat("images", req).header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    ((ObjectNode) content.get(1).get("image_url")).put("url", "data:image/png;base64,BBBB");
    assertThat(chat("images", req).header("X-Cache-Status")).isEqualTo("MISS");
  }

  @Test
  void anUpstreamThatDiesMidStreamCutsTheCallerOffAndNothingIsStored() throws Exception {
    ObjectNode req = request("[die] Tell me a long story.").put("stream", true);
    int before = upstream.chatCalls();
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"))
        .header("Content-Type", "application/json").header("X-Semcache-Namespace", "die")
        .POST(HttpRequest.BodyPublishers.ofString(req.toString())).build();
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> CLIENT.send(r, HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
    }
    assertThat(upstream.chatCalls()).isEqualTo(before + 2); // the second call was no hit: nothing was stored
    Reply whole = chat("die", request("[die] Tell me a long story."));
    assertThat(whole.status()).isEqualTo(502);
    assertThat(whole.json().path("error").path("code").asText()).isEqualTo("upstream_unavailable");
    assertThat(chat("die", request("[length] Tell me a long story.").put("stream", true)).status()).isEqualTo(200);
    assertThat(chat("die", request("[length] Tell me a long story.").put("stream", true)).header("X-Cache-Status"))
        .isEqualTo("MISS"); // finish_reason length: never stored
    // The server is still healthy.
    assertThat(chat("die", request("Are you still there?")).status()).isEqualTo(200);
  }

  @Test
  void theAuthorizationHeaderIsForwardedButNeverStored() {
    ObjectNode req = request("Which planet is closest to the sun?");
    Reply miss = chat("auth", req);
    assertThat(upstream.authorizations).contains("Bearer sk-upstream-secret-123");
    Reply hit = chat("auth", req);
    assertThat(hit.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(miss.raw().body()).doesNotContain("sk-upstream");
    // Every byte semcache wrote (RocksDB's log and tables, the Lucene index): the key is in none of them.
    byte[] secret = "sk-upstream-secret-123".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    try (Stream<Path> files = java.nio.file.Files.walk(dir)) {
      List<Path> all = files.filter(java.nio.file.Files::isRegularFile).toList();
      assertThat(all).isNotEmpty();
      for (Path f : all) {
        byte[] bytes = java.nio.file.Files.readAllBytes(f);
        assertThat(indexOf(bytes, secret)).as("the key in %s", f).isEqualTo(-1);
      }
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void completionsAndEmbeddingsArePassedThroughUncached() {
    for (int i = 0; i < 2; i++) {
      Reply e = post("pass", "/v1/embeddings", Map.of("model", "emb", "input", "hello"));
      assertThat(e.status()).isEqualTo(200);
      assertThat(e.header("X-Cache-Status")).isEqualTo("BYPASS");
      assertThat(e.json().path("data").path(0).path("embedding").size()).isEqualTo(3);
      Reply c = post("pass", "/v1/completions", Map.of("model", "m", "prompt", "once upon"));
      assertThat(c.json().path("choices").path(0).path("text").asText()).isEqualTo("completed: once upon");
    }
    assertThat(upstream.calls("/v1/embeddings")).isEqualTo(2);
    assertThat(upstream.calls("/v1/completions")).isEqualTo(2);
  }

  @Test
  void badRequestsAreRefusedBeforeTheUpstreamIsCalled() {
    int before = upstream.chatCalls();
    Reply notJson = chat("bad", "{not json");
    assertThat(notJson.status()).isEqualTo(400);
    assertThat(notJson.json().path("error").path("code").asText()).isEqualTo("invalid_request");
    assertThat(chat("bad", Map.of("model", "m")).json().path("error").path("message").asText())
        .isEqualTo("'messages' must be a non-empty array of messages");
    assertThat(chat("../etc", request("hi")).status()).isEqualTo(400);
    assertThat(upstream.chatCalls()).isEqualTo(before);
  }

  @Test
  void sampledHitsAreAuditedByCallingTheUpstreamInTheBackground() throws Exception {
    server.call("PUT", "/v1/namespaces/audited", Map.of("audit_rate", 1.0));
    ObjectNode req = request("What is the speed of light?");
    chat("audited", req);
    server.refresh();
    int before = upstream.chatCalls();
    Reply hit = chat("audited", request("What's the speed of light?"), "X-Semcache-Threshold", "0.7");
    assertThat(hit.header("X-Cache-Status")).isEqualTo("HIT-SEMANTIC");
    JsonNode audits = null;
    for (int i = 0; i < 100; i++) {
      audits = server.call("GET", "/v1/namespaces/audited/audits", null).json().path("audits");
      if (audits.size() > 0) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(audits).hasSize(1);
    assertThat(audits.get(0).path("lookup_id").asText()).isEqualTo(hit.header("X-Semcache-Lookup-Id"));
    // The fake answers a different question differently: the audit finds the served answer was not the
    // fresh one, or close enough by meaning; either way it was judged from the upstream's fresh answer.
    assertThat(audits.get(0).path("verdict").asText()).isIn("correct", "false_hit");
    assertThat(upstream.chatCalls()).isEqualTo(before + 1);
  }

  @Test
  void anUnreachableUpstreamIsA502() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (TestServer down = new TestServer(TestServer.config(dir.resolve("down"))
        .withProxy(new ProxyConfig("http://127.0.0.1:" + port + "/v1", 2, 2, "default", false)), new ManualClock())) {
      HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + down.port()
              + "/v1/chat/completions")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(request("hello?").toString())).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(502);
      assertThat(r.body()).contains("upstream_unavailable");
    }
  }

  @Test
  void semcacheKeysTravelInTheirOwnHeaderAndMapToNamespacesAsInTheV1Api() throws Exception {
    var keys = List.of(TestServer.key("admin", "admin-secret", "admin", "*"),
        TestServer.key("writer", "writer-secret", "write", "team"),
        TestServer.key("reader", "reader-secret", "read", "team"),
        TestServer.key("other", "other-secret", "write", "other"));
    try (TestServer keyed = new TestServer(TestServer.config(dir.resolve("keyed"), keys, HttpConfig.defaults())
        .withProxy(new ProxyConfig(upstream.baseUrl(), 5, 5, "default", false)), new ManualClock())) {
      assertThat(keyed.call("PUT", "/v1/namespaces/team", Map.of(), "admin-secret").status()).isEqualTo(201);
      assertThat(keyed.call("PUT", "/v1/namespaces/other", Map.of(), "admin-secret").status()).isEqualTo(201);
      ObjectNode req = request("How many legs does a spider have?");
      HttpRequest.Builder base = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + keyed.port()
          + "/v1/chat/completions")).header("Content-Type", "application/json")
          .header("Authorization", "Bearer sk-upstream-secret-123");
      java.util.function.BiFunction<String, String[], HttpResponse<String>> send = (body, headers) -> {
        HttpRequest.Builder b = base.copy().POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
          b.header(headers[i], headers[i + 1]);
        }
        try {
          return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      };
      String body = req.toString();
      HttpResponse<String> anonymous = send.apply(body, new String[0]);
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.body()).contains("missing Authorization header"); // the key's header: X-Semcache-Key
      assertThat(send.apply(body, new String[] {"X-Semcache-Key", "nope"}).statusCode()).isEqualTo(401);
      // The writer's only namespace is its default.
      assertThat(send.apply(body, new String[] {"X-Semcache-Key", "writer-secret"}).headers()
          .firstValue("X-Cache-Status")).hasValue("MISS");
      assertThat(send.apply(body, new String[] {"X-Semcache-Key", "Bearer writer-secret"}).headers()
          .firstValue("X-Cache-Status")).hasValue("HIT-EXACT");
      // A read key is served hits and stores nothing.
      assertThat(send.apply(body, new String[] {"X-Semcache-Key", "reader-secret"}).headers()
          .firstValue("X-Cache-Status")).hasValue("HIT-EXACT");
      String fresh = request("How many legs does an ant have?").toString();
      for (int i = 0; i < 2; i++) {
        assertThat(send.apply(fresh, new String[] {"X-Semcache-Key", "reader-secret"}).headers()
            .firstValue("X-Cache-Status")).hasValue("MISS");
      }
      // Another tenant never sees the team's answers, and may not ask for the team's namespace.
      assertThat(send.apply(body, new String[] {"X-Semcache-Key", "other-secret", "X-Semcache-Namespace", "team"})
          .statusCode()).isEqualTo(403);
      assertThat(send.apply(body, new String[] {"X-Semcache-Key", "other-secret"}).headers()
          .firstValue("X-Cache-Status")).hasValue("MISS");
    }
  }

  @Test
  void anExploreInAVerifiedNamespaceIsForwardedLikeAMissAndItsStoreSettlesTheAudit() throws Exception {
    assertThat(server.call("PUT", "/v1/namespaces/verified", Map.of("decision", "verified")).status()).isEqualTo(201);
    chat("verified", request("What is the capital city of France?"));
    server.refresh();
    int before = upstream.chatCalls();
    Reply explore = chat("verified", request("What's the capital of France?"));
    assertThat(explore.header("X-Cache-Status")).isEqualTo("EXPLORE"); // a new entry has no verdicts yet
    assertThat(explore.content()).isEqualTo(FakeUpstream.answerTo(request("What's the capital of France?")));
    assertThat(upstream.chatCalls()).isEqualTo(before + 1);
    JsonNode audits = null;
    for (int i = 0; i < 100; i++) { // the store judges the fresh answer against the cached one in the background
      audits = server.call("GET", "/v1/namespaces/verified/audits", null).json().path("audits");
      if (audits.size() > 0) {
        break;
      }
      Thread.sleep(50);
    }
    assertThat(audits).hasSize(1);
    assertThat(audits.get(0).path("lookup_id").asText()).isEqualTo(explore.header("X-Semcache-Lookup-Id"));
  }

  @Test
  void aStreamInProgressFinishesWhileTheServerDrains() throws Exception {
    TestServer draining = new TestServer(TestServer.config(dir.resolve("drain"))
        .withProxy(new ProxyConfig(upstream.baseUrl(), 5, 5, "default", false)), new ManualClock());
    try {
      ObjectNode req = request("[slow] Please count from one to ten, one word at a time.").put("stream", true);
      int before = upstream.chatCalls();
      var answer = CLIENT.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + draining.port()
              + "/v1/chat/completions")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(req.toString())).build(), HttpResponse.BodyHandlers.ofString());
      for (int i = 0; i < 200 && upstream.chatCalls() == before; i++) {
        Thread.sleep(10);
      }
      Thread.sleep(3L * FakeUpstream.SLOW_MS); // the stream is under way
      Thread closer = Thread.ofPlatform().start(draining::close);
      HttpResponse<String> r = answer.get(20, java.util.concurrent.TimeUnit.SECONDS);
      assertThat(assemble(r.body())).isEqualTo(FakeUpstream.answerTo(req));
      closer.join();
    } finally {
      draining.close();
    }
  }

  @Test
  void withoutAnUpstreamTheOpenAiPathsSayProxyModeIsOff() throws Exception {
    try (TestServer off = new TestServer(dir.resolve("off"))) {
      TestServer.Response r = off.call("POST", "/v1/chat/completions", request("hello?"));
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.errorCode()).isEqualTo("proxy_off");
    }
  }
}
