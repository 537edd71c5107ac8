package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.http.TestServer.Response;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Audits, feedback, statistics and the what-if analysis over HTTP, on the real model and storage. */
class AuditApiTest {
  static final String PROMPT = "How do I reset my password?";
  static final String ANSWER = "Click 'Forgot password' on the login page and follow the link we email you.";

  @TempDir
  Path dir;
  ManualClock clock = new ManualClock();
  TestServer s;

  @AfterEach
  void stop() {
    if (s != null) {
      s.close();
    }
  }

  void start() {
    s = new TestServer(TestServer.config(dir), clock);
  }

  Response put(String ns, Map<String, Object> config) {
    return s.call("PUT", "/v1/namespaces/" + ns, config);
  }

  Response audit(String lookupId, Map<String, Object> body) {
    return s.call("POST", "/v1/audits/" + lookupId, body);
  }

  static Map<String, Object> body(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  JsonNode stats(String ns) {
    Response r = s.call("GET", "/v1/namespaces/" + ns + "/stats", null);
    assertThat(r.status()).isEqualTo(200);
    return r.json();
  }

  @Test
  void sampledHitsAreJudgedByTheFreshAnswerOrTheGatewaysVerdict() {
    start();
    assertThat(put("faq", Map.of("audit_rate", 1.0)).status()).isEqualTo(201);
    String id = s.store("faq", PROMPT, ANSWER).json().get("entry_id").asText();

    Response hit = s.lookup("faq", "How can I reset my password?");
    assertThat(hit.json().get("kind").asText()).isEqualTo("semantic");
    assertThat(hit.json().get("audit").asBoolean()).as("audit_rate 1 samples every semantic hit").isTrue();
    String first = hit.json().get("lookup_id").asText();

    Response same = audit(first, body("namespace", "faq", "fresh_response", "  " + ANSWER + "\n"));
    assertThat(same.status()).isEqualTo(201);
    assertThat(same.json().get("verdict").asText()).isEqualTo("correct");
    assertThat(same.json().get("source").asText()).isEqualTo("identical");
    assertThat(same.json().get("kind").asText()).isEqualTo("hit");
    assertThat(same.json().get("entry_id").asText()).isEqualTo(id);
    assertThat(same.json().get("similarity").asDouble()).isEqualTo(hit.json().get("similarity").asDouble(), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(audit(first, body("namespace", "faq", "verdict", "false_hit")).errorCode()).isEqualTo("already_audited");

    String paraphrased = s.lookup("faq", "How do I reset my password, please?").json().get("lookup_id").asText();
    Response equivalent = audit(paraphrased, body("namespace", "faq", "fresh_response",
        "On the login page, click 'Forgot password' and follow the link in the email we send you."));
    assertThat(equivalent.json().get("source").asText()).isEqualTo("answer_similarity");
    assertThat(equivalent.json().get("answer_similarity").asDouble()).isGreaterThanOrEqualTo(0.9);
    assertThat(equivalent.json().get("verdict").asText()).isEqualTo("correct");

    clock.advance(Duration.ofSeconds(1)); // the audit list is newest first
    String third = s.lookup("faq", "How could I reset my password?").json().get("lookup_id").asText();
    Response wrong = audit(third, body("namespace", "faq", "fresh_response",
        "Our offices are closed on public holidays; phone support reopens at 9am.", "invalidate", true));
    assertThat(wrong.status()).isEqualTo(201);
    assertThat(wrong.json().get("verdict").asText()).isEqualTo("false_hit");
    assertThat(wrong.json().get("answer_similarity").asDouble()).isLessThan(0.9);
    assertThat(wrong.json().get("invalidated").asBoolean()).isTrue();
    assertThat(s.call("GET", "/v1/entries/" + id + "?namespace=faq", null).status()).as("invalidated").isEqualTo(404);

    JsonNode st = stats("faq");
    assertThat(st.get("lookups").asLong()).isEqualTo(3);
    assertThat(st.get("semantic_hits").asLong()).isEqualTo(3);
    assertThat(st.get("audits").get("sampled").asLong()).isEqualTo(3);
    assertThat(st.get("audits").get("audited_hits").asLong()).isEqualTo(3);
    assertThat(st.get("audits").get("false_hits").asLong()).isEqualTo(1);
    JsonNode rate = st.get("false_hit_rate");
    assertThat(rate.get("estimate").asDouble()).isEqualTo(1 / 3.0, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(rate.get("lower").asDouble()).isBetween(0.0, 1 / 3.0);
    assertThat(rate.get("upper").asDouble()).isBetween(1 / 3.0, 1.0);
    long hits = 0;
    for (JsonNode n : st.get("histograms").get("hits")) {
      hits += n.asLong();
    }
    assertThat(hits).isEqualTo(3);
    assertThat(st.get("series").get("lookups").get(st.get("series").get("lookups").size() - 1).asLong()).isEqualTo(3);

    Response list = s.call("GET", "/v1/namespaces/faq/audits?limit=10", null);
    assertThat(list.json().get("audits")).hasSize(3);
    assertThat(list.json().get("audits").get(0).get("prompt").asText()).isEqualTo("How could I reset my password?");
    assertThat(list.json().get("audits").get(0).get("matched_prompt").asText()).isEqualTo(PROMPT);

    String metrics = s.call("GET", "/metrics", null).text();
    assertThat(metrics).contains("semcache_audits_total{kind=\"hit\",namespace=\"faq\",verdict=\"false_hit\"} 1.0");
    assertThat(metrics).contains("semcache_false_hit_rate{bound=\"estimate\",namespace=\"faq\"} 0.333");
    assertThat(metrics).contains("semcache_threshold{namespace=\"faq\"} 0.9");
  }

  @Test
  void auditsOfUnknownForeignExpiredOrUnsampledLookupsAreRefusedAndChangeNothing() {
    start();
    put("faq", Map.of("audit_rate", 1.0));
    put("quiet", Map.of("audit_rate", 0.0));
    s.store("faq", PROMPT, ANSWER);
    s.store("quiet", PROMPT, ANSWER);
    String sampled = s.lookup("faq", "How can I reset my password?").json().get("lookup_id").asText();
    Response quietHit = s.lookup("quiet", "How can I reset my password?");
    assertThat(quietHit.json().get("audit").asBoolean()).isFalse();
    String miss = s.lookup("faq", "What is the capital of Mongolia?").json().get("lookup_id").asText();
    JsonNode before = stats("faq");

    assertThat(audit("l" + "0".repeat(32), body("namespace", "faq", "verdict", "correct")).errorCode())
        .isEqualTo("lookup_expired"); // its time, 1970, is long gone
    String unknown = "l" + sampled.substring(1, 13) + "f".repeat(20);
    Response notFound = audit(unknown, body("namespace", "faq", "verdict", "correct"));
    assertThat(notFound.status()).isEqualTo(404);
    assertThat(notFound.errorCode()).isEqualTo("lookup_not_found");
    Response foreign = audit(sampled, body("namespace", "quiet", "verdict", "correct"));
    assertThat(foreign.status()).as("another namespace's lookup is unknown here").isEqualTo(404);
    assertThat(foreign.json().toString()).doesNotContain(PROMPT);
    Response unsampled = audit(quietHit.json().get("lookup_id").asText(), body("namespace", "quiet", "verdict", "correct"));
    assertThat(unsampled.status()).isEqualTo(409);
    assertThat(unsampled.errorCode()).isEqualTo("not_sampled");
    assertThat(audit(miss, body("namespace", "faq", "verdict", "correct")).errorCode()).isEqualTo("lookup_not_found");
    assertThat(audit(sampled, body("namespace", "faq")).status()).isEqualTo(400);
    assertThat(audit(sampled, body("namespace", "faq", "verdict", "correct", "fresh_response", "x")).status()).isEqualTo(400);
    Response badVerdict = audit(sampled, body("namespace", "faq", "verdict", "maybe"));
    assertThat(badVerdict.status()).isEqualTo(400);
    assertThat(badVerdict.json().get("error").get("message").asText()).contains("verdict='maybe'");
    assertThat(audit(sampled, body("namespace", "faq", "fresh_response", "  ")).status()).isEqualTo(400);
    assertThat(audit("not-an-id", body("namespace", "faq", "verdict", "correct")).errorCode()).isEqualTo("invalid_id");
    assertThat(audit(sampled, body("namespace", "faq", "verdict", "correct", "extra", 1)).status()).isEqualTo(400);
    Response feedbackOnMiss = s.call("POST", "/v1/feedback", body("namespace", "faq", "lookup_id", miss, "verdict", "false_hit"));
    assertThat(feedbackOnMiss.status()).isIn(404, 409);

    assertThat(stats("faq").get("audits")).isEqualTo(before.get("audits"));
    assertThat(s.call("GET", "/v1/namespaces/faq/audits", null).json().get("audits")).isEmpty();

    clock.advance(Duration.ofHours(1).plusSeconds(1));
    Response expired = audit(sampled, body("namespace", "faq", "verdict", "correct"));
    assertThat(expired.status()).isEqualTo(410);
    assertThat(expired.errorCode()).isEqualTo("lookup_expired");
    assertThat(expired.json().get("error").get("message").asText()).contains("audit window (3600 s)");
  }

  @Test
  void aSampledNearMissIsJudgedByTheStoreThatFollowsIt() {
    start();
    put("faq", Map.of("audit_rate", 1.0, "threshold", 0.99, "near_miss_audit_band", 0.2));
    s.store("faq", PROMPT, ANSWER);
    Response miss = s.lookup("faq", "How can I reset my password?");
    assertThat(miss.json().get("hit").asBoolean()).isFalse();
    assertThat(miss.json().get("nearest_similarity").asDouble()).isBetween(0.79, 0.99);
    assertThat(miss.json().get("audit").asBoolean()).isTrue();
    assertThat(miss.json().get("nearest_prompt").asText()).isEqualTo(PROMPT);
    assertThat(miss.json().get("nearest_response").asText()).isEqualTo(ANSWER);

    Response stored = s.call("POST", "/v1/entries", body("namespace", "faq", "prompt", "How can I reset my password?",
        "response", ANSWER, "lookup_id", miss.json().get("lookup_id").asText()));
    assertThat(stored.status()).isEqualTo(201);
    JsonNode audits = s.call("GET", "/v1/namespaces/faq/audits", null).json().get("audits");
    assertThat(audits).hasSize(1);
    assertThat(audits.get(0).get("kind").asText()).isEqualTo("near_miss");
    assertThat(audits.get(0).get("verdict").asText()).isEqualTo("correct");
    assertThat(audits.get(0).get("source").asText()).isEqualTo("identical");

    JsonNode st = stats("faq");
    assertThat(st.get("audits").get("near_miss_audited").asLong()).isEqualTo(1);
    assertThat(st.get("audits").get("audited_hits").asLong()).isZero();
    assertThat(st.get("false_hit_rate").get("estimate").isNull()).as("no audited hit at 0.99 or above").isTrue();

    JsonNode analysis = s.call("GET", "/v1/namespaces/faq/analysis", null).json();
    assertThat(analysis.get("curve")).hasSize(101);
    assertThat(analysis.get("audit_floor").asDouble()).isEqualTo(0.79, org.assertj.core.data.Offset.offset(1e-9));
    double sim = miss.json().get("nearest_similarity").asDouble();
    for (JsonNode p : analysis.get("curve")) {
      double t = p.get("threshold").asDouble();
      assertThat(p.get("covered").asBoolean()).isEqualTo(t >= 0.79 - 1e-9);
      assertThat(p.get("audited").asLong()).isEqualTo(t <= sim ? 1 : 0);
      assertThat(p.get("hit_rate").asDouble()).isEqualTo(t <= sim ? 1.0 : 0.0);
    }
    assertThat(analysis.get("recommended_threshold").isNull()).as("one audit bounds nothing under 2%").isTrue();
    assertThat(analysis.get("recommendation").asText()).contains("Keep auditing");
  }

  @Test
  void feedbackFlagsAnyServedHitAndIsKeptApartFromTheEstimate() {
    start();
    s.store("faq", PROMPT, ANSWER);
    String exact = s.lookup("faq", PROMPT).json().get("lookup_id").asText();
    Response fb = s.call("POST", "/v1/feedback", body("namespace", "faq", "lookup_id", exact, "verdict", "false_hit",
        "invalidate", true));
    assertThat(fb.status()).isEqualTo(202);
    assertThat(fb.json().get("invalidated").asBoolean()).isTrue();
    assertThat(s.lookup("faq", PROMPT).json().get("hit").asBoolean()).as("the flagged entry is gone").isFalse();
    assertThat(s.call("POST", "/v1/feedback", body("namespace", "faq", "lookup_id", exact, "verdict", "false_hit"))
        .errorCode()).isEqualTo("already_audited");
    JsonNode st = stats("faq");
    assertThat(st.get("audits").get("feedback_false_hits").asLong()).isEqualTo(1);
    assertThat(st.get("audits").get("audited_hits").asLong()).isZero();
    assertThat(st.get("false_hit_rate").get("estimate").isNull()).isTrue();
    JsonNode record = s.call("GET", "/v1/namespaces/faq/audits", null).json().get("audits").get(0);
    assertThat(record.get("source").asText()).isEqualTo("feedback");
    assertThat(record.get("prompt").asText()).as("read from the entry before the feedback removed it").isEqualTo(PROMPT);
    assertThat(record.get("matched_prompt").asText()).isEqualTo(PROMPT);
  }

  @Test
  void feedbackOnAnExactHitWhoseEntryIsGoneIsStillRecorded() {
    start();
    String id = s.store("faq", PROMPT, ANSWER).json().get("entry_id").asText();
    String exact = s.lookup("faq", PROMPT).json().get("lookup_id").asText();
    assertThat(s.call("DELETE", "/v1/entries/" + id + "?namespace=faq", null).status()).isIn(200, 204);
    Response fb = s.call("POST", "/v1/feedback", body("namespace", "faq", "lookup_id", exact, "verdict", "false_hit"));
    assertThat(fb.status()).isEqualTo(202);
    assertThat(stats("faq").get("audits").get("feedback_false_hits").asLong()).isEqualTo(1);
    JsonNode record = s.call("GET", "/v1/namespaces/faq/audits", null).json().get("audits").get(0);
    assertThat(record.get("entry_id").asText()).isEqualTo(id);
    assertThat(record.get("prompt").asText()).as("an exact hit keeps no prompt; its entry is gone").isEmpty();
  }

  @Test
  void statisticsAndVerdictsSurviveARestartAndPendingAuditsAreToldWhy() {
    start();
    put("faq", Map.of("audit_rate", 1.0));
    s.store("faq", PROMPT, ANSWER);
    String audited = s.lookup("faq", "How can I reset my password?").json().get("lookup_id").asText();
    assertThat(audit(audited, body("namespace", "faq", "verdict", "false_hit")).status()).isEqualTo(201);
    String pending = s.lookup("faq", "How could I reset my password?").json().get("lookup_id").asText();
    s.lookup("faq", PROMPT);
    s.lookup("faq", "What is the capital of Mongolia?");
    JsonNode before = stats("faq");
    JsonNode analysisBefore = s.call("GET", "/v1/namespaces/faq/analysis", null).json();
    s.close();

    clock.advance(Duration.ofMinutes(1));
    start();
    JsonNode after = stats("faq");
    for (String field : new String[] {"since", "lookups", "exact_hits", "semantic_hits", "misses", "stores", "audits",
        "false_hit_rate", "histograms"}) {
      assertThat(after.get(field)).as(field).isEqualTo(before.get(field));
    }
    assertThat(s.call("GET", "/v1/namespaces/faq/analysis", null).json()).isEqualTo(analysisBefore);
    Response gone = audit(pending, body("namespace", "faq", "verdict", "correct"));
    assertThat(gone.status()).isEqualTo(410);
    assertThat(gone.json().get("error").get("message").asText()).contains("before this server started");
  }

  @Test
  void verdictsOlderThanTheRetentionAreRemovedAndNoLongerCounted() {
    start();
    put("faq", Map.of("audit_rate", 1.0, "ttl_s", 60 * 86400, "max_ttl_s", 60 * 86400));
    s.store("faq", PROMPT, ANSWER);
    String old = s.lookup("faq", "How can I reset my password?").json().get("lookup_id").asText();
    assertThat(audit(old, body("namespace", "faq", "verdict", "false_hit")).status()).isEqualTo(201);
    clock.advance(Duration.ofDays(20));
    String recent = s.lookup("faq", "How could I reset my password?").json().get("lookup_id").asText();
    assertThat(audit(recent, body("namespace", "faq", "verdict", "correct")).status()).isEqualTo(201);
    assertThat(stats("faq").get("audits").get("audited_hits").asLong()).isEqualTo(2);

    clock.advance(Duration.ofDays(11)); // the first verdict is now 31 days old, the second 11
    assertThat(s.server.cache().analytics().removeExpiredVerdicts()).isEqualTo(1);
    JsonNode st = stats("faq");
    assertThat(st.get("audits").get("audited_hits").asLong()).isEqualTo(1);
    assertThat(st.get("audits").get("false_hits").asLong()).isZero();
    JsonNode list = s.call("GET", "/v1/namespaces/faq/audits", null).json().get("audits");
    assertThat(list).hasSize(1);
    assertThat(list.get(0).get("lookup_id").asText()).isEqualTo(recent);
    assertThat(s.server.cache().analytics().removeExpiredVerdicts()).isZero();
  }

  @Test
  void keysDecideWhoMayAuditAndAnotherTenantsLookupIsUnknownToIt() {
    s = new TestServer(TestServer.config(dir, java.util.List.of(TestServer.key("ops", "admin-secret", "admin", "*"),
        TestServer.key("faq-gw", "faq-writer", "write", "faq"), TestServer.key("faq-ro", "faq-reader", "read", "faq"),
        TestServer.key("shop-gw", "shop-writer", "write", "shop")), dev.semcache.server.config.HttpConfig.defaults()), clock);
    for (String ns : new String[] {"faq", "shop"}) {
      assertThat(s.call("PUT", "/v1/namespaces/" + ns, Map.of("audit_rate", 1.0), "admin-secret").status()).isEqualTo(201);
    }
    assertThat(s.call("POST", "/v1/entries", body("namespace", "faq", "prompt", PROMPT, "response", ANSWER), "faq-writer")
        .status()).isEqualTo(201);
    s.refresh();
    Response hit = s.call("POST", "/v1/lookup", body("namespace", "faq", "prompt", "How can I reset my password?"),
        "faq-reader");
    assertThat(hit.json().get("audit").asBoolean()).isTrue();
    String id = hit.json().get("lookup_id").asText();

    assertThat(s.call("POST", "/v1/audits/" + id, body("namespace", "faq", "verdict", "correct"), null).status())
        .isEqualTo(401);
    assertThat(s.call("POST", "/v1/audits/" + id, body("namespace", "faq", "verdict", "correct"), "faq-reader").status())
        .as("read keys look up; audits need write").isEqualTo(403);
    assertThat(s.call("POST", "/v1/audits/" + id, body("namespace", "faq", "verdict", "correct"), "shop-writer").status())
        .isEqualTo(403);
    Response foreign = s.call("POST", "/v1/audits/" + id, body("namespace", "shop", "verdict", "false_hit"), "shop-writer");
    assertThat(foreign.status()).as("faq's lookup does not exist for shop").isEqualTo(404);
    assertThat(s.call("POST", "/v1/feedback", body("namespace", "shop", "lookup_id", id, "verdict", "false_hit",
        "invalidate", true), "shop-writer").status()).isEqualTo(404);
    assertThat(s.call("GET", "/v1/namespaces/faq/audits", null, "shop-writer").status()).isEqualTo(403);
    assertThat(s.call("GET", "/v1/namespaces/faq/analysis", null, "shop-writer").status()).isEqualTo(403);
    assertThat(s.call("GET", "/v1/namespaces/faq/stats", null, "faq-reader").json().get("audits").get("audited").asLong())
        .isZero();

    assertThat(s.call("POST", "/v1/audits/" + id, body("namespace", "faq", "verdict", "correct"), "faq-writer").status())
        .isEqualTo(201);
    assertThat(s.call("GET", "/v1/namespaces/shop/audits", null, "shop-writer").json().get("audits")).isEmpty();
    assertThat(s.call("GET", "/v1/namespaces/faq/audits", null, "faq-reader").json().get("audits")).hasSize(1);
  }
}
