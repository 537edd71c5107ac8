package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.ManualClock;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.http.TestServer.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The v1 API end to end: a real server on a real socket, the real model, real RocksDB and Lucene. */
class ServerApiTest {
  @TempDir
  Path dir;
  TestServer s;

  @BeforeEach
  void start() {
    s = new TestServer(dir);
  }

  @AfterEach
  void stop() {
    if (s != null) {
      s.close();
    }
  }

  @Test
  void paraphraseHitsSemanticallyRepeatHitsExactlyUnrelatedMisses() {
    Response stored = s.store("faq", "How do I reset my password?", "Click 'Forgot password' on the login page.");
    assertThat(stored.status()).isEqualTo(201);
    String id = stored.json().get("entry_id").asText();
    assertThat(stored.header("Location")).isEqualTo("/v1/entries/" + id + "?namespace=faq");

    Response para = s.lookup("faq", "How can I reset my password?");
    assertThat(para.status()).isEqualTo(200);
    assertThat(para.header("X-Cache-Status")).isEqualTo("HIT-SEMANTIC");
    assertThat(para.json().get("hit").asBoolean()).isTrue();
    assertThat(para.json().get("kind").asText()).isEqualTo("semantic");
    assertThat(para.json().get("entry_id").asText()).isEqualTo(id);
    assertThat(para.json().get("response").asText()).isEqualTo("Click 'Forgot password' on the login page.");
    assertThat(para.json().get("matched_prompt").asText()).isEqualTo("How do I reset my password?");
    assertThat(para.json().get("similarity").asDouble()).isBetween(0.9, 1.0);
    assertThat(para.json().get("lookup_id").asText()).matches("l[0-9a-f]{32}");

    long calls = TestServer.modelCalls();
    Response exact = s.lookup("faq", "  How do I reset   my password? ");
    assertThat(exact.header("X-Cache-Status")).isEqualTo("HIT-EXACT");
    assertThat(exact.json().get("kind").asText()).isEqualTo("exact");
    assertThat(exact.json().get("similarity").asDouble()).isEqualTo(1.0);
    assertThat(TestServer.modelCalls()).as("the exact path embeds nothing").isEqualTo(calls);

    Response miss = s.lookup("faq", "What is the capital of Mongolia?");
    assertThat(miss.status()).isEqualTo(200);
    assertThat(miss.header("X-Cache-Status")).isEqualTo("MISS");
    assertThat(miss.json().get("hit").asBoolean()).isFalse();
    assertThat(miss.json().get("nearest_similarity").asDouble()).isLessThan(0.5);
    assertThat(miss.json().has("response")).isFalse();

    Response entry = s.call("GET", "/v1/entries/" + id + "?namespace=faq", null);
    assertThat(entry.status()).isEqualTo(200);
    assertThat(entry.json().get("hit_count").asLong()).isEqualTo(2);
    assertThat(entry.json().get("prompt").asText()).isEqualTo("How do I reset my password?");
  }

  @Test
  void namespacesAndScopesNeverSeeEachOthersEntries() {
    s.store("faq", "How do I reset my password?", "faq answer");
    Response other = s.lookup("other", "How do I reset my password?");
    assertThat(other.status()).isEqualTo(200);
    assertThat(other.json().get("hit").asBoolean()).isFalse();
    assertThat(other.json().get("nearest_similarity").isNull()).isTrue();

    String id = s.lookup("faq", "How do I reset my password?").json().get("entry_id").asText();
    assertThat(s.call("GET", "/v1/entries/" + id + "?namespace=other", null).errorCode()).isEqualTo("entry_not_found");
    assertThat(s.call("DELETE", "/v1/entries/" + id + "?namespace=other", null).status()).isEqualTo(404);
    assertThat(s.call("GET", "/v1/entries/" + id + "?namespace=faq", null).status()).isEqualTo(200);

    s.store("faq", "Summarise this article", "gpt-4o says", Map.of("model", "gpt-4o"));
    s.refresh();
    assertThat(s.lookup("faq", "Summarise this article", Map.of("model", "llama-3")).json().get("hit").asBoolean()).isFalse();
    assertThat(s.lookup("faq", "Summarize this article", Map.of("model", "llama-3")).json().get("hit").asBoolean()).isFalse();
    assertThat(s.lookup("faq", "Summarise this article").json().get("hit").asBoolean()).isFalse();
    Response same = s.lookup("faq", "Summarise this article", Map.of("model", "gpt-4o"));
    assertThat(same.json().get("response").asText()).isEqualTo("gpt-4o says");
  }

  @Test
  void entriesExpireOnTheInjectedClock() {
    Response r = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "What are your opening hours?",
        "response", "9 to 5", "ttl_s", 60));
    assertThat(r.status()).isEqualTo(201);
    s.refresh();
    s.clock.advance(Duration.ofSeconds(59));
    assertThat(s.lookup("faq", "What are your opening hours?").json().get("kind").asText()).isEqualTo("exact");
    assertThat(s.lookup("faq", "What are the opening hours?").json().get("hit").asBoolean()).isTrue();
    s.clock.advance(Duration.ofSeconds(2));
    assertThat(s.lookup("faq", "What are your opening hours?").json().get("hit").asBoolean()).isFalse();
    assertThat(s.lookup("faq", "What are the opening hours?").json().get("hit").asBoolean()).isFalse();
    String id = r.json().get("entry_id").asText();
    assertThat(s.call("GET", "/v1/entries/" + id + "?namespace=faq", null).status()).isEqualTo(404);

    Response tooLong = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "p", "response", "a",
        "ttl_s", 31L * 86400));
    assertThat(tooLong.status()).isEqualTo(400);
    assertThat(tooLong.json().get("error").get("message").asText()).contains("max_ttl_s").contains("ttl_s=2678400");
  }

  @Test
  void entriesSurviveARestart() {
    s.store("faq", "Do you ship to Canada?", "Yes, in 5-7 days.");
    s.close();
    s = new TestServer(TestServer.config(dir), new ManualClock());
    Response r = s.lookup("faq", "Can you ship to Canada?");
    assertThat(r.json().get("hit").asBoolean()).as(r.text()).isTrue();
    assertThat(r.json().get("response").asText()).isEqualTo("Yes, in 5-7 days.");
    assertThat(s.call("GET", "/v1/namespaces/faq", null).status()).isEqualTo(200);
  }

  @Test
  void aStoreNamingTheLookupIdOfItsMissReusesItsEmbedding() {
    Response miss = s.lookup("faq", "Do you ship to Canada?");
    String lookupId = miss.json().get("lookup_id").asText();
    long before = TestServer.modelCalls();
    Response stored = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Do you ship to Canada?",
        "response", "Yes.", "lookup_id", lookupId));
    assertThat(stored.status()).isEqualTo(201);
    assertThat(stored.json().get("embedding").asText()).isEqualTo("reused");
    assertThat(TestServer.modelCalls()).as("no second embedding").isEqualTo(before);

    Response otherPrompt = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Do you ship to Mexico?",
        "response", "No.", "lookup_id", lookupId));
    assertThat(otherPrompt.json().get("embedding").asText()).isEqualTo("computed");
    assertThat(TestServer.modelCalls()).isEqualTo(before + 1);

    Response unknownId = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Is there a warranty?",
        "response", "Two years.", "lookup_id", "l" + "0".repeat(32)));
    assertThat(unknownId.status()).isEqualTo(201);
    assertThat(unknownId.json().get("embedding").asText()).isEqualTo("computed");

    s.refresh();
    assertThat(s.lookup("faq", "Can you ship to Canada?").json().get("response").asText()).isEqualTo("Yes.");
    String text = s.call("GET", "/metrics", null).text();
    assertThat(text).contains("semcache_stores_total{embedding=\"reused\",namespace=\"faq\"} 1.0");
  }

  @Test
  void errorResponsesOfTheModelAreNeverCached() {
    Response status = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Hello?", "response",
        "Rate limit reached", "model_status", 429));
    assertThat(status.status()).isEqualTo(422);
    assertThat(status.errorCode()).isEqualTo("uncacheable_response");
    Response body = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Hello?", "response",
        "{\"error\": {\"message\": \"The server had an error\", \"type\": \"server_error\"}}"));
    assertThat(body.status()).isEqualTo(422);
    Response blank = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Hello?", "response", "  "));
    assertThat(blank.status()).isEqualTo(422);
    assertThat(s.lookup("faq", "Hello?").json().get("hit").asBoolean()).isFalse();
    assertThat(s.call("GET", "/v1/namespaces/faq", null).status()).as("a refused store creates nothing").isEqualTo(404);

    Response ok = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Hello?", "response",
        "{\"choices\": [{\"message\": {\"content\": \"Hi!\"}}], \"error\": null}", "model_status", 200));
    assertThat(ok.status()).isEqualTo(201);
  }

  @Test
  void aLongPromptIsRejectedOrTruncatedAsTheNamespaceChooses() {
    String longPrompt = "Please summarise the following report. " + "The quarterly figures were strong. ".repeat(80);
    Response rejected = s.call("POST", "/v1/entries", Map.of("namespace", "docs", "prompt", longPrompt, "response", "ok"));
    assertThat(rejected.status()).isEqualTo(400);
    assertThat(rejected.errorCode()).isEqualTo("prompt_too_long");
    assertThat(rejected.json().get("error").get("message").asText()).contains("256 tokens");
    assertThat(s.lookup("docs", longPrompt).errorCode()).isEqualTo("prompt_too_long");

    Response put = s.call("PUT", "/v1/namespaces/docs", Map.of("prompt_overflow", "truncate"));
    assertThat(put.status()).isEqualTo(201);
    assertThat(put.json().get("prompt_overflow").asText()).isEqualTo("truncate");
    assertThat(s.call("POST", "/v1/entries", Map.of("namespace", "docs", "prompt", longPrompt, "response", "ok"))
        .status()).isEqualTo(201);
    assertThat(s.lookup("docs", longPrompt).json().get("kind").asText()).isEqualTo("exact");
  }

  @Test
  void namespaceConfigIsReadAndChangedAndTheThresholdApplies() {
    s.store("faq", "How do I reset my password?", "Click 'Forgot password'.");
    Response cfg = s.call("GET", "/v1/namespaces/faq", null);
    assertThat(cfg.json().get("threshold").asDouble()).isEqualTo(0.9);
    double sim = s.lookup("faq", "I forgot my password, what now?").json().path("nearest_similarity").asDouble(
        s.lookup("faq", "I forgot my password, what now?").json().path("similarity").asDouble());

    Response loose = s.call("PUT", "/v1/namespaces/faq", Map.of("threshold", sim - 0.01));
    assertThat(loose.status()).isEqualTo(200);
    assertThat(loose.json().get("ttl_s").asLong()).as("untouched settings stay").isEqualTo(86400);
    assertThat(s.lookup("faq", "I forgot my password, what now?").json().get("hit").asBoolean()).isTrue();
    s.call("PUT", "/v1/namespaces/faq", Map.of("threshold", Math.min(1.0, sim + 0.01)));
    assertThat(s.lookup("faq", "I forgot my password, what now?").json().get("hit").asBoolean()).isFalse();

    Map<String, Object> override = new LinkedHashMap<>(Map.of("namespace", "faq", "prompt", "I forgot my password, what now?",
        "threshold", sim - 0.01));
    assertThat(s.call("POST", "/v1/lookup", override).json().get("hit").asBoolean()).as("per-lookup threshold").isTrue();

    Response bad = s.call("PUT", "/v1/namespaces/faq", Map.of("threshold", 1.5));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("error").get("message").asText()).contains("threshold=1.5");
    Response wrongType = s.call("PUT", "/v1/namespaces/faq", Map.of("ttl_s", "60"));
    assertThat(wrongType.status()).isEqualTo(400);
    Response unknown = s.call("PUT", "/v1/namespaces/faq", Map.of("treshold", 0.5));
    assertThat(unknown.errorCode()).isEqualTo("unknown_field");
    assertThat(s.call("GET", "/v1/namespaces/faq", null).json().get("threshold").asDouble())
        .isEqualTo(Math.min(1.0, sim + 0.01));
    assertThat(s.call("GET", "/v1/namespaces", null).json().get("namespaces")).hasSize(1);
  }

  @Test
  void invalidateRemovesAScopeOrSimilarPrompts() {
    s.store("faq", "How do I reset my password?", "a", Map.of("model", "m1"));
    s.store("faq", "What are your opening hours?", "b", Map.of("model", "m1"));
    s.store("faq", "How do I reset my password?", "c", Map.of("model", "m2"));
    s.refresh();
    Response similar = s.call("POST", "/v1/invalidate", Map.of("namespace", "faq", "scope", Map.of("model", "m1"),
        "prompt", "How can I reset my password?", "min_similarity", 0.9));
    assertThat(similar.json().get("removed").asInt()).isEqualTo(1);
    assertThat(s.lookup("faq", "How do I reset my password?", Map.of("model", "m1")).json().get("hit").asBoolean()).isFalse();
    assertThat(s.lookup("faq", "What are your opening hours?", Map.of("model", "m1")).json().get("hit").asBoolean()).isTrue();
    Response scope = s.call("POST", "/v1/invalidate", Map.of("namespace", "faq", "scope", Map.of("model", "m1")));
    assertThat(scope.json().get("removed").asInt()).isEqualTo(1);
    assertThat(s.lookup("faq", "How do I reset my password?", Map.of("model", "m2")).json().get("response").asText())
        .isEqualTo("c");
  }

  @Test
  void statsAndMetricsCountWhatHappened() {
    s.store("faq", "How do I reset my password?", "a");
    s.lookup("faq", "How do I reset my password?");
    s.lookup("faq", "How can I reset my password?");
    s.lookup("faq", "What is the capital of Mongolia?");
    Response stats = s.call("GET", "/v1/namespaces/faq/stats", null);
    assertThat(stats.json().get("lookups").asLong()).isEqualTo(3);
    assertThat(stats.json().get("exact_hits").asLong()).isEqualTo(1);
    assertThat(stats.json().get("semantic_hits").asLong()).isEqualTo(1);
    assertThat(stats.json().get("misses").asLong()).isEqualTo(1);
    assertThat(stats.json().get("entries").asLong()).isEqualTo(1);

    Response m = s.call("GET", "/metrics", null);
    assertThat(m.status()).isEqualTo(200);
    assertThat(m.header("Content-Type")).startsWith("text/plain");
    assertThat(m.text())
        .contains("semcache_lookups_total{namespace=\"faq\",result=\"exact\"} 1.0")
        .contains("semcache_lookups_total{namespace=\"faq\",result=\"semantic\"} 1.0")
        .contains("semcache_lookups_total{namespace=\"faq\",result=\"miss\"} 1.0")
        .contains("semcache_lookup_stage_seconds_count{stage=\"embed\"} 2")
        .contains("semcache_lookup_stage_seconds_count{stage=\"exact\"} 3")
        .contains("semcache_lookup_similarity_count{namespace=\"faq\",result=\"hit\"} 1")
        .contains("semcache_entries{namespace=\"faq\"} 1.0")
        .contains("semcache_embed_queue_depth ")
        .contains("semcache_http_requests_total{route=\"lookup\",status=\"200\"} 3.0")
        .contains("jvm_memory_used_bytes");
  }

  @Test
  void overloadIsAnswered503WithRetryAfterInsteadOfQueueing(@TempDir Path other) throws Exception {
    HttpConfig tiny = new HttpConfig(1 << 20, 1, 10, 60, 0, 0, 10, 2);
    try (TestServer one = new TestServer(TestServer.config(other, List.of(), tiny), new ManualClock())) {
      var futures = new java.util.ArrayList<java.util.concurrent.CompletableFuture<Response>>();
      for (int i = 0; i < 16; i++) {
        String prompt = "Question number " + i + " about shipping to country " + i;
        futures.add(java.util.concurrent.CompletableFuture.supplyAsync(() -> one.lookup("faq", prompt)));
      }
      List<Response> answers = futures.stream().map(java.util.concurrent.CompletableFuture::join).toList();
      List<Response> refused = answers.stream().filter(r -> r.status() == 503).toList();
      assertThat(refused).isNotEmpty();
      assertThat(refused.get(0).errorCode()).isEqualTo("overloaded");
      assertThat(refused.get(0).header("Retry-After")).isEqualTo("2");
      assertThat(answers.stream().filter(r -> r.status() == 200)).isNotEmpty();
      assertThat(answers.stream().allMatch(r -> r.status() == 200 || r.status() == 503)).isTrue();
    }
  }

  /** Close drains: a request in progress when shutdown begins is answered in full, and the store closes cleanly. */
  @Test
  void shutdownDrainsRequestsInProgressThenClosesTheStore() throws Exception {
    s.store("faq", "How do I reset my password?", "a");
    // Fill the embedding queue so that the lookup below is still in progress when close() starts.
    var backlog = new java.util.ArrayList<java.util.concurrent.CompletableFuture<float[]>>();
    for (int i = 0; i < 60; i++) {
      backlog.add(TestServer.embedder().embedAsync("backlog text number " + i + " about something else entirely"));
    }
    var answer = java.util.concurrent.CompletableFuture.supplyAsync(() -> s.lookup("faq", "How can I reset my password?"));
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (s.server.inFlight() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(s.server.inFlight()).as("the lookup is in progress").isEqualTo(1);
    s.close();
    Response r = answer.join();
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("kind").asText()).isEqualTo("semantic");
    backlog.forEach(java.util.concurrent.CompletableFuture::join);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.call("GET", "/healthz", null))
        .as("the port is closed").isInstanceOf(java.io.UncheckedIOException.class);
    try (var reopened = dev.semcache.index.EmbeddedCacheStorage.open(dir, dev.semcache.index.StorageOptions.defaults(),
        new ManualClock())) {
      assertThat(reopened.entryCount()).isEqualTo(1);
    }
  }

  @Test
  void aDataFolderRefusesAnotherModel(@TempDir Path other) throws Exception {
    SemcacheServer.checkModel(other, "all-minilm-l6-v2-q");
    SemcacheServer.checkModel(other, "all-minilm-l6-v2-q");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SemcacheServer.checkModel(other, "bge-small-en-v15-q"))
        .hasMessageContaining("embedded with model 'all-minilm-l6-v2-q'").hasMessageContaining("--model all-minilm-l6-v2-q");
  }

  @Test
  void healthAndReadiness() {
    assertThat(s.call("GET", "/healthz", null).status()).isEqualTo(200);
    assertThat(s.call("GET", "/readyz", null).json().get("status").asText()).isEqualTo("ready");
  }
}
