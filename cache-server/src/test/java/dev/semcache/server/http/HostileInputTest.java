package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.ManualClock;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.http.RawHttp.Answer;
import dev.semcache.server.http.RawHttp.Exchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Bad and malicious requests against a real server: each gets the right 4xx (with a JSON error whose
 * code is checked) or a clean close, the server stays up, and afterwards every entry, namespace and
 * config is exactly as before. Runs one server without keys (loopback mode) and one with keys.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {
  static final String ADMIN = "admin-secret";
  static final String WRITER = "faq-writer-secret";
  static final String READER = "faq-reader-secret";

  static Path dir;
  static TestServer open;
  static TestServer keyed;
  static String entryId;
  static String keyedEntryId;
  static Map<String, String> before;

  /** A bad request and what it must get: a status and error code, or (status 0) a clean close. */
  record Case(String name, byte[] bytes, int status, String code, boolean keyedServer) {
    static Case of(String name, byte[] bytes, int status, String code) {
      return new Case(name, bytes, status, code, false);
    }

    static Case keyed(String name, byte[] bytes, int status, String code) {
      return new Case(name, bytes, status, code, true);
    }
  }

  @BeforeAll
  static void start() throws IOException {
    dir = Files.createTempDirectory("hostile");
    HttpConfig strict = new HttpConfig(64 * 1024, 512, 1, 5, 0, 0, 10, 1);
    open = new TestServer(TestServer.config(dir.resolve("open"), List.of(), strict), new ManualClock());
    keyed = new TestServer(TestServer.config(dir.resolve("keyed"), List.of(
        TestServer.key("ops", ADMIN, "admin", "*"),
        TestServer.key("faq-gateway", WRITER, "write", "faq"),
        TestServer.key("faq-reader", READER, "read", "faq")), strict), new ManualClock());
    entryId = open.store("faq", "How do I reset my password?", "Click 'Forgot password'.").json().get("entry_id").asText();
    open.store("faq", "What are your opening hours?", "9 to 5.", Map.of("model", "m1"));
    assertThat(keyed.call("PUT", "/v1/namespaces/faq", Map.of("threshold", 0.85), ADMIN).status()).isEqualTo(201);
    keyedEntryId = keyed.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", "Do you ship to Canada?",
        "response", "Yes."), WRITER).json().get("entry_id").asText();
    open.refresh();
    keyed.refresh();
    before = snapshot();
  }

  @AfterAll
  static void stop() {
    open.close();
    keyed.close();
  }

  /** Everything a request could have changed, as text. */
  static Map<String, String> snapshot() {
    Map<String, String> s = new TreeMap<>();
    for (TestServer t : List.of(open, keyed)) {
      String p = t == open ? "open " : "keyed ";
      var storage = t.server.storage();
      s.put(p + "entries", Long.toString(storage.entryCount()));
      s.put(p + "bytes", Long.toString(storage.entryBytes()));
      s.put(p + "namespaces", storage.namespaces().toString());
      for (String ns : storage.namespaces()) {
        s.put(p + "config " + ns, storage.config(ns).toString());
      }
    }
    s.put("open entry", open.call("GET", "/v1/entries/" + entryId + "?namespace=faq", null).text());
    s.put("keyed entry", keyed.call("GET", "/v1/entries/" + keyedEntryId + "?namespace=faq", null, ADMIN).text());
    return s;
  }

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static byte[] lookupWithRawBody(byte[] body) {
    return RawHttp.request("POST", "/v1/lookup", "application/json", body);
  }

  static byte[] lookup(String json) {
    return RawHttp.json("POST", "/v1/lookup", json);
  }

  static byte[] store(String json) {
    return RawHttp.json("POST", "/v1/entries", json);
  }

  static byte[] withPrompt(byte[] promptBytes) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(utf8("{\"namespace\":\"faq\",\"prompt\":\"abc"));
    b.writeBytes(promptBytes);
    b.writeBytes(utf8("\"}"));
    return b.toByteArray();
  }

  static byte[] keyedLookup(String authorization, String ns) {
    byte[] body = utf8("{\"namespace\":\"" + ns + "\",\"prompt\":\"Do you ship to Canada?\"}");
    return authorization == null ? RawHttp.request("POST", "/v1/lookup", "application/json", body)
        : RawHttp.request("POST", "/v1/lookup", "application/json", body, "Authorization: " + authorization);
  }

  static List<Case> cases() {
    List<Case> c = new ArrayList<>();
    String ok = "\"namespace\":\"faq\",\"prompt\":\"How do I reset my password?\"";
    // ---- broken JSON
    c.add(Case.of("empty body", RawHttp.request("POST", "/v1/lookup", "application/json", new byte[0]), 400, "malformed_json"));
    c.add(Case.of("truncated object", lookup("{\"namespace\":\"faq\",\"prompt\":"), 400, "malformed_json"));
    c.add(Case.of("array instead of object", lookup("[\"faq\",\"prompt\"]"), 400, "malformed_json"));
    c.add(Case.of("bare string", lookup("\"hello\""), 400, "malformed_json"));
    c.add(Case.of("JSON null", lookup("null"), 400, "malformed_json"));
    c.add(Case.of("trailing garbage", lookup("{" + ok + "} {}"), 400, "malformed_json"));
    c.add(Case.of("duplicate key", lookup("{" + ok + ",\"namespace\":\"other\"}"), 400, "malformed_json"));
    c.add(Case.of("NaN literal", lookup("{" + ok + ",\"threshold\":NaN}"), 400, "malformed_json"));
    c.add(Case.of("comments", lookup("{/* hi */" + ok + "}"), 400, "malformed_json"));
    c.add(Case.of("single quotes", lookup("{'namespace':'faq','prompt':'x'}"), 400, "malformed_json"));
    c.add(Case.of("nesting 5,000 deep", lookup("{" + ok + ",\"scope\":" + "[".repeat(5000) + "]".repeat(5000) + "}"),
        400, "malformed_json"));
    c.add(Case.of("raw control character in string", lookupWithRawBody(withPrompt(new byte[] {0x01})), 400, "malformed_json"));
    // ---- bad UTF-8
    c.add(Case.of("byte 0xff", lookupWithRawBody(withPrompt(new byte[] {(byte) 0xff})), 400, "invalid_utf8"));
    c.add(Case.of("overlong '/'", lookupWithRawBody(withPrompt(new byte[] {(byte) 0xc0, (byte) 0xaf})), 400, "invalid_utf8"));
    c.add(Case.of("encoded surrogate", lookupWithRawBody(withPrompt(new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80})),
        400, "invalid_utf8"));
    c.add(Case.of("truncated sequence", lookupWithRawBody(withPrompt(new byte[] {(byte) 0xe2, (byte) 0x82})), 400, "invalid_utf8"));
    c.add(Case.of("lone continuation byte", lookupWithRawBody(withPrompt(new byte[] {(byte) 0x80})), 400, "invalid_utf8"));
    c.add(Case.of("unpaired surrogate escape", lookup("{\"namespace\":\"faq\",\"prompt\":\"a\\ud800b\"}"), 400, "invalid_utf8"));
    c.add(Case.of("latin-1 body", lookupWithRawBody("{\"namespace\":\"faq\",\"prompt\":\"caf\u00e9\"}"
        .getBytes(StandardCharsets.ISO_8859_1)), 400, "invalid_utf8"));
    // ---- wrong types, missing and unknown fields
    c.add(Case.of("prompt is a number", lookup("{\"namespace\":\"faq\",\"prompt\":42}"), 400, "invalid_request"));
    c.add(Case.of("prompt is an array", lookup("{\"namespace\":\"faq\",\"prompt\":[\"a\"]}"), 400, "invalid_request"));
    c.add(Case.of("prompt is null", lookup("{\"namespace\":\"faq\",\"prompt\":null}"), 400, "invalid_request"));
    c.add(Case.of("prompt missing", lookup("{\"namespace\":\"faq\"}"), 400, "invalid_request"));
    c.add(Case.of("prompt blank", lookup("{\"namespace\":\"faq\",\"prompt\":\" \\t\\n \"}"), 400, "invalid_request"));
    c.add(Case.of("namespace missing", lookup("{\"prompt\":\"x\"}"), 400, "invalid_request"));
    c.add(Case.of("namespace is an object", lookup("{\"namespace\":{},\"prompt\":\"x\"}"), 400, "invalid_request"));
    c.add(Case.of("namespace path trick", lookup("{\"namespace\":\"../faq\",\"prompt\":\"x\"}"), 400, "invalid_namespace"));
    c.add(Case.of("namespace too long", lookup("{\"namespace\":\"" + "n".repeat(65) + "\",\"prompt\":\"x\"}"), 400,
        "invalid_namespace"));
    c.add(Case.of("namespace empty", lookup("{\"namespace\":\"\",\"prompt\":\"x\"}"), 400, "invalid_namespace"));
    c.add(Case.of("namespace with NUL", lookup("{\"namespace\":\"faq\\u0000\",\"prompt\":\"x\"}"), 400, "invalid_namespace"));
    c.add(Case.of("threshold is a string", lookup("{" + ok + ",\"threshold\":\"0.9\"}"), 400, "invalid_request"));
    c.add(Case.of("threshold above 1", lookup("{" + ok + ",\"threshold\":1.5}"), 400, "invalid_request"));
    c.add(Case.of("threshold negative", lookup("{" + ok + ",\"threshold\":-0.1}"), 400, "invalid_request"));
    c.add(Case.of("threshold 1e400", lookup("{" + ok + ",\"threshold\":1e400}"), 400, "invalid_request"));
    c.add(Case.of("scope is a string", lookup("{" + ok + ",\"scope\":\"gpt-4o\"}"), 400, "invalid_request"));
    c.add(Case.of("scope value is a number", lookup("{" + ok + ",\"scope\":{\"temperature\":0.2}}"), 400, "invalid_request"));
    c.add(Case.of("scope with 33 attributes", lookup("{" + ok + ",\"scope\":{" + String.join(",",
        java.util.stream.IntStream.range(0, 33).mapToObj(i -> "\"k" + i + "\":\"v\"").toList()) + "}}"), 400, "invalid_request"));
    c.add(Case.of("scope key empty", lookup("{" + ok + ",\"scope\":{\"\":\"v\"}}"), 400, "invalid_request"));
    c.add(Case.of("unknown field", lookup("{" + ok + ",\"promt\":\"typo\"}"), 400, "unknown_field"));
    c.add(Case.of("text/plain body", RawHttp.request("POST", "/v1/lookup", "text/plain", utf8("{" + ok + "}")), 415,
        "unsupported_media_type"));
    c.add(Case.of("form body", RawHttp.request("POST", "/v1/lookup", "application/x-www-form-urlencoded",
        utf8("namespace=faq&prompt=x")), 415, "unsupported_media_type"));
    // ---- stores
    String st = "\"namespace\":\"faq\",\"prompt\":\"Do you ship to Canada?\"";
    c.add(Case.of("store without response", store("{" + st + "}"), 400, "invalid_request"));
    c.add(Case.of("store response is an object", store("{" + st + ",\"response\":{\"text\":\"yes\"}}"), 400, "invalid_request"));
    c.add(Case.of("ttl_s negative", store("{" + st + ",\"response\":\"y\",\"ttl_s\":-5}"), 400, "invalid_request"));
    c.add(Case.of("ttl_s zero", store("{" + st + ",\"response\":\"y\",\"ttl_s\":0}"), 400, "invalid_request"));
    c.add(Case.of("ttl_s fractional", store("{" + st + ",\"response\":\"y\",\"ttl_s\":1.5}"), 400, "invalid_request"));
    c.add(Case.of("ttl_s a string", store("{" + st + ",\"response\":\"y\",\"ttl_s\":\"60\"}"), 400, "invalid_request"));
    c.add(Case.of("ttl_s beyond max_ttl_s", store("{" + st + ",\"response\":\"y\",\"ttl_s\":999999999}"), 400, "invalid_request"));
    c.add(Case.of("ttl_s beyond long", store("{" + st + ",\"response\":\"y\",\"ttl_s\":99999999999999999999999}"), 400,
        "invalid_request"));
    c.add(Case.of("metadata value not a string", store("{" + st + ",\"response\":\"y\",\"metadata\":{\"a\":[1]}}"), 400,
        "invalid_request"));
    c.add(Case.of("lookup_id malformed", store("{" + st + ",\"response\":\"y\",\"lookup_id\":\"../../x\"}"), 400, "invalid_id"));
    c.add(Case.of("model_status not a status", store("{" + st + ",\"response\":\"y\",\"model_status\":99}"), 400,
        "invalid_request"));
    c.add(Case.of("model error status", store("{" + st + ",\"response\":\"Internal error\",\"model_status\":500}"), 422,
        "uncacheable_response"));
    c.add(Case.of("model error body", store("{" + st + ",\"response\":\"{\\\"error\\\":{\\\"message\\\":\\\"overloaded\\\"}}\"}"),
        422, "uncacheable_response"));
    c.add(Case.of("blank response", store("{" + st + ",\"response\":\"   \"}"), 422, "uncacheable_response"));
    c.add(Case.of("prompt too long for the model", store("{\"namespace\":\"faq\",\"prompt\":\"" + "word ".repeat(400)
        + "\",\"response\":\"y\"}"), 400, "prompt_too_long"));
    // ---- sizes
    c.add(Case.of("body over the limit (Content-Length)", RawHttp.request("POST", "/v1/lookup", "application/json",
        utf8("{\"namespace\":\"faq\",\"prompt\":\"" + "x".repeat(70 * 1024) + "\"}")), 413, "payload_too_large"));
    c.add(Case.of("chunked body over the limit", chunked(utf8("{\"namespace\":\"faq\",\"prompt\":\"" + "x".repeat(70 * 1024)
        + "\"}")), 413, "payload_too_large"));
    c.add(Case.of("request line over 4 KiB", RawHttp.request("GET", "/v1/entries/" + "a".repeat(5000), null, null), 414,
        "uri_too_long"));
    c.add(Case.of("headers over 16 KiB", RawHttp.request("GET", "/healthz", null, null, "X-Big: " + "b".repeat(20_000)), 431,
        "headers_too_large"));
    // ---- paths and methods
    c.add(Case.of("GET on a POST route", RawHttp.request("GET", "/v1/lookup", null, null), 405, "method_not_allowed"));
    c.add(Case.of("unknown method", RawHttp.request("BREW", "/v1/lookup", null, null), 405, "method_not_allowed"));
    c.add(Case.of("unknown path", RawHttp.request("GET", "/v1/nope", null, null), 404, "not_found"));
    c.add(Case.of("trailing slash", RawHttp.json("POST", "/v1/lookup/", "{" + ok + "}"), 404, "not_found"));
    c.add(Case.of("dot-dot segments", RawHttp.request("GET", "/v1/entries/../../metrics", null, null), 404, "not_found"));
    c.add(Case.of("encoded dot-dot in an id", RawHttp.request("GET", "/v1/entries/..%2f..%2fmetrics?namespace=faq", null, null),
        400, "invalid_id"));
    c.add(Case.of("id not hex", RawHttp.request("GET", "/v1/entries/" + "z".repeat(32) + "?namespace=faq", null, null), 400,
        "invalid_id"));
    c.add(Case.of("id with upper case", RawHttp.request("DELETE", "/v1/entries/" + entryId.toUpperCase() + "?namespace=faq",
        null, null), 400, "invalid_id"));
    c.add(Case.of("entry without namespace", RawHttp.request("GET", "/v1/entries/" + entryId, null, null), 400, "invalid_request"));
    c.add(Case.of("namespace given twice", RawHttp.request("DELETE", "/v1/entries/" + entryId + "?namespace=faq&namespace=x",
        null, null), 400, "invalid_request"));
    c.add(Case.of("namespace path trick in query", RawHttp.request("DELETE", "/v1/entries/" + entryId
        + "?namespace=..%2Ffaq", null, null), 400, "invalid_namespace"));
    c.add(Case.of("malformed percent-encoding", RawHttp.request("GET", "/v1/namespaces/%zz", null, null), 400, "bad_request"));
    c.add(Case.of("encoded NUL namespace", RawHttp.request("GET", "/v1/namespaces/%00", null, null), 400, "invalid_namespace"));
    c.add(Case.of("absolute-form target", RawHttp.json("POST", "http://evil.example/v1/lookup", "{" + ok + "}"), 400,
        "bad_request"));
    c.add(Case.of("delete of another namespace's entry", RawHttp.request("DELETE", "/v1/entries/" + entryId + "?namespace=other",
        null, null), 404, "entry_not_found"));
    c.add(Case.of("namespace put with wrong type", RawHttp.json("PUT", "/v1/namespaces/faq", "{\"threshold\":\"high\"}"), 400,
        "invalid_request"));
    c.add(Case.of("namespace put out of range", RawHttp.json("PUT", "/v1/namespaces/faq", "{\"audit_rate\":2}"), 400,
        "invalid_request"));
    c.add(Case.of("namespace put bad enum", RawHttp.json("PUT", "/v1/namespaces/faq", "{\"prompt_overflow\":\"drop\"}"), 400,
        "invalid_request"));
    c.add(Case.of("invalidate without scope or prompt", RawHttp.json("POST", "/v1/invalidate", "{\"namespace\":\"faq\"}"), 400,
        "invalid_request"));
    // ---- broken HTTP
    c.add(Case.of("not HTTP at all", utf8("HELLO\r\n\r\n"), 400, "bad_request"));
    c.add(Case.of("bad Content-Length", utf8("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}"), 400,
        "bad_request"));
    c.add(Case.of("two Content-Lengths", utf8("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Content-Length: 2\r\nContent-Length: 40\r\n\r\n{}"), 400, "bad_request"));
    c.add(Case.of("bad chunk size", utf8("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        + "Content-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"), 400, "bad_request"));
    // ---- keys
    c.add(Case.keyed("no Authorization", keyedLookup(null, "faq"), 401, "unauthorized"));
    c.add(Case.keyed("unknown key", keyedLookup("Bearer not-a-key", "faq"), 401, "unauthorized"));
    c.add(Case.keyed("Basic scheme", keyedLookup("Basic YWRtaW46c2VjcmV0", "faq"), 401, "unauthorized"));
    c.add(Case.keyed("empty bearer", keyedLookup("Bearer ", "faq"), 401, "unauthorized"));
    c.add(Case.keyed("key with a prefix of a real key", keyedLookup("Bearer " + ADMIN.substring(0, 5), "faq"), 401,
        "unauthorized"));
    c.add(Case.keyed("reader stores", RawHttp.request("POST", "/v1/entries", "application/json",
        utf8("{\"namespace\":\"faq\",\"prompt\":\"p\",\"response\":\"r\"}"), "Authorization: Bearer " + READER), 403, "forbidden"));
    c.add(Case.keyed("faq key in another namespace", keyedLookup("Bearer " + WRITER, "billing"), 403, "forbidden"));
    c.add(Case.keyed("writer changes a namespace", RawHttp.request("PUT", "/v1/namespaces/faq", "application/json",
        utf8("{\"threshold\":0.1}"), "Authorization: Bearer " + WRITER), 403, "forbidden"));
    c.add(Case.keyed("writer creates a namespace by storing", RawHttp.request("POST", "/v1/entries", "application/json",
        utf8("{\"namespace\":\"faq2\",\"prompt\":\"p\",\"response\":\"r\"}"), "Authorization: Bearer " + ADMIN), 404,
        "namespace_not_found"));
    c.add(Case.keyed("reader deletes", RawHttp.request("DELETE", "/v1/entries/" + "a".repeat(32) + "?namespace=faq", null, null,
        "Authorization: Bearer " + READER), 403, "forbidden"));
    c.add(Case.keyed("key from the other server's namespace list", RawHttp.request("GET", "/v1/namespaces/billing/stats", null,
        null, "Authorization: Bearer " + READER), 403, "forbidden"));
    return c;
  }

  static byte[] chunked(byte[] body) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(utf8("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"));
    for (int i = 0; i < body.length; i += 8192) {
      int n = Math.min(8192, body.length - i);
      b.writeBytes(utf8(Integer.toHexString(n) + "\r\n"));
      b.write(body, i, n);
      b.writeBytes(utf8("\r\n"));
    }
    b.writeBytes(utf8("0\r\n\r\n"));
    return b.toByteArray();
  }

  @TestFactory
  @Order(1)
  Stream<DynamicTest> eachBadRequestGetsTheRightError() {
    List<Case> cases = cases();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(50);
    return cases.stream().map(k -> DynamicTest.dynamicTest(k.name(), () -> {
      TestServer t = k.keyedServer() ? keyed : open;
      Exchange x = RawHttp.send(t.port(), k.bytes(), 1, 10_000);
      Answer a = x.first();
      assertThat(a).as(k.name() + ": an answer").isNotNull();
      assertThat(a.status()).as(k.name() + ": " + a.body()).isEqualTo(k.status());
      assertThat(a.header("Content-Type")).as(k.name()).startsWith("application/json");
      var json = TestServer.JSON.readTree(a.body());
      assertThat(json.path("error").path("code").asText()).as(k.name() + ": " + a.body()).isEqualTo(k.code());
      assertThat(json.path("error").path("message").asText()).as(k.name()).isNotBlank();
      if (k.status() == 401) {
        assertThat(a.header("WWW-Authenticate")).startsWith("Bearer");
      }
      if (k.status() == 405) {
        assertThat(a.header("Allow")).isEqualTo("POST");
      }
    }));
  }

  /** A client that starts a request and never finishes it is answered 408 and disconnected. */
  @Test
  @Order(2)
  void aSlowClientIsTimedOut() throws IOException {
    try (Socket s = new Socket("127.0.0.1", open.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(utf8("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na"));
      out.flush();
      Exchange x = RawHttp.read(s.getInputStream(), 1);
      assertThat(x.first().status()).isEqualTo(408);
      assertThat(x.first().body()).contains("request_timeout");
      assertThat(x.closedByServer()).isTrue();
    }
    try (Socket s = new Socket("127.0.0.1", open.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(utf8("GET /healthz HTTP/1.1\r\nHo")); // headers never end
      out.flush();
      Exchange x = RawHttp.read(s.getInputStream(), 1);
      assertThat(x.first().status()).isEqualTo(408);
      assertThat(x.closedByServer()).isTrue();
    }
    // The deadline runs from each request's first byte, also on a connection that was answered before
    // (the timer is shared by a connection's requests and checks the time when it fires).
    try (Socket s = new Socket("127.0.0.1", open.port())) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(utf8("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
      out.flush();
      assertThat(RawHttp.read(s.getInputStream(), 1).first().status()).isEqualTo(200);
      Thread.sleep(600);
      long sent = System.nanoTime();
      out.write(utf8("POST /v1/lookup HTTP/1.1\r\nHo"));
      out.flush();
      Exchange x = RawHttp.read(s.getInputStream(), 1);
      assertThat(x.first().status()).isEqualTo(408);
      assertThat(x.closedByServer()).isTrue();
      assertThat((System.nanoTime() - sent) / 1_000_000).as("ms from the second request's first byte to its 408")
          .isGreaterThanOrEqualTo(950);
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }

  /** Pipelined requests are answered in order; a flood beyond the per-connection bound gets 429 and a close. */
  @Test
  @Order(3)
  void pipelinedRequestsAreAnsweredInOrderAndAFloodIsCut() throws IOException {
    ByteArrayOutputStream few = new ByteArrayOutputStream();
    few.writeBytes(RawHttp.request("GET", "/healthz", null, null));
    few.writeBytes(RawHttp.request("GET", "/v1/nope", null, null));
    few.writeBytes(RawHttp.request("GET", "/readyz", null, null));
    Exchange x = RawHttp.send(open.port(), few.toByteArray(), 3, 10_000);
    assertThat(x.answers()).extracting(Answer::status).containsExactly(200, 404, 200);

    ByteArrayOutputStream flood = new ByteArrayOutputStream();
    for (int i = 0; i < 200; i++) {
      flood.writeBytes(RawHttp.json("POST", "/v1/lookup", "{\"namespace\":\"flood\",\"prompt\":\"flood " + i + "\"}"));
    }
    Exchange f = RawHttp.send(open.port(), flood.toByteArray(), 200, 20_000);
    assertThat(f.answers().size()).isBetween(2, 200);
    assertThat(f.answers().get(f.answers().size() - 1).status()).isEqualTo(429);
    assertThat(f.answers().get(f.answers().size() - 1).body()).contains("too_many_pipelined");
    assertThat(f.answers().subList(0, f.answers().size() - 1)).as("every request read is answered first, in order")
        .allMatch(a -> a.status() == 200 && a.body().contains("\"kind\":\"miss\""));
    assertThat(f.closedByServer()).isTrue();
  }

  /** {@code Expect: 100-continue} with a too large body gets the JSON 413 before the body is sent. */
  @Test
  @Order(4)
  void expectContinueWithATooLargeBodyGetsTheJson413() throws IOException {
    byte[] head = utf8("POST /v1/lookup HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + "Expect: 100-continue\r\nContent-Length: 10000000\r\n\r\n");
    Exchange x = RawHttp.send(open.port(), head, 1, 10_000);
    assertThat(x.first().status()).isEqualTo(413);
    assertThat(x.first().body()).contains("payload_too_large");
    assertThat(x.closedByServer()).isTrue();
    assertThat(open.call("GET", "/metrics", null).text()).contains("semcache_http_requests_total{route=\"unmatched\",status=\"413\"}");
  }

  /** Requests that the client closes half-way leave nothing behind. */
  @Test
  @Order(4)
  void clientsThatDisconnectMidRequestLeaveNothingBehind() throws IOException {
    for (int i = 0; i < 20; i++) {
      try (Socket s = new Socket("127.0.0.1", open.port())) {
        s.getOutputStream().write(utf8("POST /v1/entries HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + "Content-Length: 200\r\n\r\n{\"namespace\":\"faq\",\"prompt\":\"half"));
      }
    }
  }

  @Test
  @Order(5)
  void afterAllThatTheServersAreUpAndTheirDataUnchanged() {
    for (TestServer t : List.of(open, keyed)) {
      assertThat(t.call("GET", "/healthz", null).status()).isEqualTo(200);
      assertThat(t.call("GET", "/readyz", null).status()).isEqualTo(200);
    }
    assertThat(snapshot()).isEqualTo(before);
    var hit = open.lookup("faq", "How can I reset my password?");
    assertThat(hit.json().get("entry_id").asText()).isEqualTo(entryId);
    var keyedHit = keyed.call("POST", "/v1/lookup", Map.of("namespace", "faq", "prompt", "Do you ship to Canada?"), READER);
    assertThat(keyedHit.json().get("entry_id").asText()).isEqualTo(keyedEntryId);
  }
}
