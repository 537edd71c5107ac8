package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.ManualClock;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.server.config.HttpConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Regression tests for the security review's holes between tenants, against a real server with keys:
 * each test names the hole it closes.
 */
class TenantIsolationTest {
  static final String ADMIN = "admin-secret";
  static final String WRITER = "faq-writer-secret";
  static final String READER = "faq-reader-secret";
  static final String ALICE = "alice-secret";
  static final String BOB = "bob-secret";

  static dev.semcache.server.config.ApiKeyConfig pinned(String name, String secret, String user) {
    var plain = TestServer.key(name, secret, "write", "faq");
    return new dev.semcache.server.config.ApiKeyConfig(plain.name(), plain.sha256(), plain.role(), plain.namespaces(),
        Map.of("user", user), null, null, null);
  }

  static Path dir;
  static TestServer server;

  @BeforeAll
  static void start() throws IOException {
    dir = Files.createTempDirectory("tenants");
    server = new TestServer(TestServer.config(dir, List.of(
        TestServer.key("ops", ADMIN, "admin", "*"),
        TestServer.key("faq-gateway", WRITER, "write", "faq"),
        TestServer.key("faq-reader", READER, "read", "faq"),
        pinned("alice-app", ALICE, "alice"), pinned("bob-app", BOB, "bob")), HttpConfig.defaults()), new ManualClock());
    assertThat(server.call("PUT", "/v1/namespaces/faq", Map.of("threshold", 0.9), ADMIN).status()).isEqualTo(201);
    assertThat(server.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "How do I reset my password?",
        "response", "Click 'Forgot password'."), WRITER).status()).isEqualTo(201);
    server.refresh();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static TestServer.Response lookup(String key, String prompt, Object threshold) {
    return server.call("POST", "/v1/lookup", threshold == null ? Map.of("namespace", "faq", "prompt", prompt)
        : Map.of("namespace", "faq", "prompt", prompt, "threshold", threshold), key);
  }

  /**
   * A read key's {@code threshold: 0} used to serve any entry as a hit, renew sliding TTLs, count hits
   * and lower the audit floor for everyone. Now a read key may only raise the threshold.
   */
  @Test
  void aReadKeyMayNotLowerTheThresholdButMayRaiseIt() {
    long lookupsBefore = server.call("GET", "/v1/namespaces/faq/stats", null, ADMIN).json().get("lookups").asLong();
    TestServer.Response low = lookup(READER, "What is the capital of France?", 0.0);
    assertThat(low.status()).isEqualTo(403);
    assertThat(low.errorCode()).isEqualTo("threshold_not_allowed");
    assertThat(low.json().path("error").path("message").asText()).contains("threshold=0.0");
    assertThat(server.call("GET", "/v1/namespaces/faq/stats", null, ADMIN).json().get("lookups").asLong())
        .isEqualTo(lookupsBefore);

    TestServer.Response high = lookup(READER, "How do I reset my password?", 0.99);
    assertThat(high.status()).isEqualTo(200);
    assertThat(high.json().get("threshold").asDouble()).isEqualTo(0.99);
    TestServer.Response writerLow = lookup(WRITER, "What is the capital of France?", 0.0);
    assertThat(writerLow.status()).isEqualTo(200);
    assertThat(writerLow.json().get("hit").asBoolean()).isTrue();
  }

  /** Prompts were bounded only by the 1 MiB body: each namespace now caps them, before any work. */
  @Test
  void aPromptOverTheNamespacesByteCapIsRefusedBeforeAnyWork() {
    assertThat(server.call("PUT", "/v1/namespaces/small", Map.of("max_prompt_bytes", 1000), ADMIN).status())
        .isEqualTo(201);
    long calls = TestServer.modelCalls();
    String prompt = "é".repeat(501); // 1002 bytes of UTF-8 in 501 characters
    TestServer.Response r = server.call("POST", "/v1/lookup", Map.of("namespace", "small", "prompt", prompt), ADMIN);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.errorCode()).isEqualTo("prompt_too_long");
    assertThat(r.json().path("error").path("message").asText()).contains("max_prompt_bytes (1000");
    TestServer.Response s = server.call("POST", "/v1/entries", Map.of("namespace", "small", "prompt", prompt,
        "response", "r"), ADMIN);
    assertThat(s.errorCode()).isEqualTo("prompt_too_long");
    assertThat(TestServer.modelCalls()).isEqualTo(calls);
    assertThat(server.call("POST", "/v1/lookup", Map.of("namespace", "small", "prompt", "é".repeat(500)), ADMIN)
        .status()).isEqualTo(200);
    assertThat(server.call("GET", "/v1/namespaces/faq", null, ADMIN).json().get("max_prompt_bytes").asInt())
        .isEqualTo(NamespaceConfig.DEFAULT_MAX_PROMPT_BYTES);
  }

  /** {@code max_ttl_s} had no upper bound and overflowed in milliseconds. */
  @Test
  void ttlsAreBoundedBelowOverflow() {
    TestServer.Response r = server.call("PUT", "/v1/namespaces/faq", Map.of("max_ttl_s", Long.MAX_VALUE / 1000), ADMIN);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().path("error").path("message").asText()).contains("max_ttl_s must be at most");
    TestServer.Response store = server.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "p",
        "response", "r", "ttl_s", Long.MAX_VALUE), WRITER);
    assertThat(store.status()).isEqualTo(400);
    assertThat(server.call("GET", "/v1/namespaces/faq", null, ADMIN).json().get("max_ttl_s").asLong())
        .isEqualTo(NamespaceConfig.DEFAULT_MAX_TTL_S);
  }

  /**
   * A client that pipelined small requests for large answers and never read them made the server read
   * on and buffer every answer. Now the server stops reading while the answers wait: the client's
   * writes stall long before all its requests are sent.
   */
  @Test
  void aClientThatDoesNotReadItsAnswersIsNotReadEither() throws Exception {
    String big = "A long answer. ".repeat(1400); // ~20 KB
    String id = server.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "a long one", "response", big),
        WRITER).json().get("entry_id").asText();
    byte[] one = RawHttp.request("GET", "/v1/entries/" + id + "?namespace=faq", null, null,
        "Authorization: Bearer " + READER, "X-Pad: " + "p".repeat(8000));
    int requests = 4000; // 32 MB of requests for 80 MB of answers
    java.util.concurrent.atomic.AtomicInteger sent = new java.util.concurrent.atomic.AtomicInteger();
    try (java.net.Socket socket = new java.net.Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new java.net.InetSocketAddress("127.0.0.1", server.port()));
      Thread writer = new Thread(() -> {
        try {
          var out = socket.getOutputStream();
          for (int i = 0; i < requests; i++) {
            out.write(one);
            sent.incrementAndGet();
          }
        } catch (IOException e) {
          // closed by the test
        }
      });
      writer.setDaemon(true);
      writer.start();
      writer.join(5_000);
      assertThat(writer.isAlive()).as("the writer is stalled, %d of %d requests sent", sent.get(), requests).isTrue();
      assertThat(sent.get()).isLessThan(requests / 2);
    }
    assertThat(server.call("GET", "/v1/entries/" + id + "?namespace=faq", null, READER).status()).isEqualTo(200);
  }

  /** {@code audits?limit=10000} was one answer of any size: now pages end at 1 MiB or the limit, with a cursor. */
  @Test
  void auditListingsArePagedWithACursor() {
    assertThat(server.call("PUT", "/v1/namespaces/paged", Map.of(), ADMIN).status()).isEqualTo(201);
    assertThat(server.call("POST", "/v1/entries", Map.of("namespace", "paged", "prompt", "q", "response", "a"), ADMIN)
        .status()).isEqualTo(201);
    java.util.Set<String> expected = new java.util.HashSet<>();
    for (int i = 0; i < 5; i++) {
      String lookupId = server.call("POST", "/v1/lookup", Map.of("namespace", "paged", "prompt", "q"), ADMIN).json()
          .get("lookup_id").asText();
      assertThat(server.call("POST", "/v1/feedback", Map.of("namespace", "paged", "lookup_id", lookupId,
          "verdict", "correct"), ADMIN).status()).isEqualTo(202);
      expected.add(lookupId);
      server.clock.advance(java.time.Duration.ofMillis(1));
    }
    java.util.List<String> seen = new java.util.ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      TestServer.Response page = server.call("GET", "/v1/namespaces/paged/audits?limit=2"
          + (cursor == null ? "" : "&cursor=" + cursor), null, ADMIN);
      assertThat(page.status()).isEqualTo(200);
      page.json().get("audits").forEach(a -> seen.add(a.get("lookup_id").asText()));
      cursor = page.json().get("next_cursor").isNull() ? null : page.json().get("next_cursor").asText();
      pages++;
    } while (cursor != null && pages < 10);
    assertThat(pages).isEqualTo(3);
    assertThat(seen).hasSize(5).doesNotHaveDuplicates();
    assertThat(new java.util.HashSet<>(seen)).isEqualTo(expected);
    assertThat(server.call("GET", "/v1/namespaces/paged/audits?cursor=nope", null, ADMIN).status()).isEqualTo(400);
  }

  /** Any key of a namespace could read any scope: now a key pinned to {@code user: alice} sees only Alice's. */
  @Test
  void aKeyPinnedToAScopeSeesAndChangesOnlyThatScope() {
    ch.qos.logback.classic.Logger writes = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(WriteLog.LOGGER);
    var captured = new ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent>();
    captured.start();
    writes.addAppender(captured);
    try {
      Map<String, String> alice = Map.of("user", "alice");
      Map<String, String> bob = Map.of("user", "bob", "model", "m1");
      String prompt = "What is my account balance?";
      TestServer.Response bobs = server.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", prompt,
          "response", "Bob has 1000 dollars.", "scope", bob), BOB);
      assertThat(bobs.status()).isEqualTo(201);
      String bobId = bobs.json().get("entry_id").asText();
      server.refresh();

      TestServer.Response spoof = server.call("POST", "/v1/lookup", Map.of("namespace", "faq", "prompt", prompt,
          "scope", bob), ALICE);
      assertThat(spoof.status()).isEqualTo(403);
      assertThat(spoof.errorCode()).isEqualTo("scope_forbidden");
      assertThat(server.call("POST", "/v1/lookup", Map.of("namespace", "faq", "prompt", prompt), ALICE).status())
          .as("no scope at all is not Alice's scope").isEqualTo(403);
      TestServer.Response own = server.call("POST", "/v1/lookup", Map.of("namespace", "faq", "prompt", prompt,
          "scope", alice), ALICE);
      assertThat(own.status()).isEqualTo(200);
      assertThat(own.json().get("hit").asBoolean()).isFalse();
      assertThat(server.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", prompt, "response", "x",
          "scope", bob), ALICE).errorCode()).isEqualTo("scope_forbidden");
      assertThat(server.call("GET", "/v1/entries/" + bobId + "?namespace=faq", null, ALICE).status()).isEqualTo(404);
      assertThat(server.call("DELETE", "/v1/entries/" + bobId + "?namespace=faq", null, ALICE).status()).isEqualTo(404);
      assertThat(server.call("POST", "/v1/invalidate", Map.of("namespace", "faq", "scope", bob), ALICE).status())
          .isEqualTo(403);
      assertThat(server.call("GET", "/v1/namespaces/faq/audits", null, ALICE).errorCode()).isEqualTo("scope_forbidden");
      assertThat(server.call("GET", "/v1/entries/" + bobId + "?namespace=faq", null, BOB).status()).isEqualTo(200);

      assertThat(server.call("DELETE", "/v1/entries/" + bobId + "?namespace=faq", null, BOB).status()).isEqualTo(204);
      assertThat(captured.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
          .contains("key=bob-app action=store namespace=faq entry=" + bobId + " scope=[model, user]",
              "key=bob-app action=delete namespace=faq entry=" + bobId)
          .noneMatch(line -> line.contains("alice-app"));
    } finally {
      writes.detachAppender(captured);
    }
  }
}
