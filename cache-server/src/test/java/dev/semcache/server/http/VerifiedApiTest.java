package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.http.TestServer.Response;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A verified namespace end to end, through the real server, model and storage: a paraphrase is explored
 * (a miss that asks for an audit) until the entry's verdicts show the bound holds, then served; what
 * the entry learned survives a restart and goes with the entry.
 */
class VerifiedApiTest {
  static final String PROMPT = "How do I reset my password?";
  static final String ANSWER = "Click 'Forgot password' on the login page and follow the link we email you.";
  static final String PARAPHRASE = "How can I reset my password?";

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

  JsonNode verified(String ns) {
    Response r = s.call("GET", "/v1/namespaces/" + ns + "/analysis", null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().get("decision").asText()).isEqualTo("verified");
    return r.json().get("verified");
  }

  @Test
  void explorationTeachesAnEntryUntilItIsServedAndTheLessonSurvivesARestart() {
    s = new TestServer(TestServer.config(dir), clock);
    Response created = s.call("PUT", "/v1/namespaces/faq",
        Map.of("decision", "verified", "max_false_hit_rate", 0.02, "audit_rate", 0.0));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().get("decision").asText()).isEqualTo("verified");
    assertThat(created.json().get("max_false_hit_rate").asDouble()).isEqualTo(0.02);
    String id = s.store("faq", PROMPT, ANSWER).json().get("entry_id").asText();

    Response first = s.lookup("faq", PARAPHRASE);
    assertThat(first.header("X-Cache-Status")).as("nothing audited yet: the bound is not shown").isEqualTo("EXPLORE");
    assertThat(first.json().get("hit").asBoolean()).isFalse();
    assertThat(first.json().get("kind").asText()).isEqualTo("explore");
    assertThat(first.json().get("audit").asBoolean()).as("an explore always asks for a verdict").isTrue();
    assertThat(first.json().get("nearest_entry_id").asText()).isEqualTo(id);
    assertThat(first.json().get("nearest_response").asText()).isEqualTo(ANSWER);

    int explores = 0;
    Response r = first;
    while (r.json().get("kind").asText().equals("explore") && explores < 100) {
      explores++;
      Response verdict = s.call("POST", "/v1/audits/" + r.json().get("lookup_id").asText(),
          Map.of("namespace", "faq", "verdict", "correct"));
      assertThat(verdict.status()).isEqualTo(201);
      assertThat(verdict.json().get("kind").asText()).isEqualTo("near_miss");
      r = s.lookup("faq", PARAPHRASE);
    }
    assertThat(r.header("X-Cache-Status")).as("served after %d correct verdicts", explores).isEqualTo("HIT-SEMANTIC");
    assertThat(r.json().get("entry_id").asText()).isEqualTo(id);
    assertThat(explores).isBetween(2, 99);

    JsonNode v = verified("faq");
    assertThat(v.get("max_false_hit_rate").asDouble()).isEqualTo(0.02);
    assertThat(v.get("explores").asLong()).isEqualTo(explores);
    assertThat(v.get("hits").asLong()).isEqualTo(1);
    assertThat(v.get("explore_rate").asDouble()).isEqualTo(explores / (explores + 1.0),
        org.assertj.core.data.Offset.offset(1e-9));
    assertThat(v.get("entries").asLong()).isEqualTo(1);
    assertThat(v.get("entries_with_verdicts").asLong()).isEqualTo(1);
    assertThat(v.get("measured_false_hit_rate").get("audited_hits").asLong()).as("audit_rate 0: no hit audited")
        .isZero();

    s.close();
    s = new TestServer(TestServer.config(dir), clock);
    Response after = s.lookup("faq", PARAPHRASE);
    assertThat(after.header("X-Cache-Status")).as("the entry's verdicts were kept").isEqualTo("HIT-SEMANTIC");
    assertThat(verified("faq").get("entries_with_verdicts").asLong()).isEqualTo(1);

    assertThat(s.call("DELETE", "/v1/entries/" + id + "?namespace=faq", null).status()).isEqualTo(204);
    assertThat(verified("faq").get("entries_with_verdicts").asLong()).as("gone with the entry").isZero();
    s.close();
    s = new TestServer(TestServer.config(dir), clock);
    assertThat(verified("faq").get("entries_with_verdicts").asLong()).as("and not back after a restart").isZero();
  }

  /** The gateway's usual miss flow settles an explore: its store, naming the lookup, is judged by its answer. */
  @Test
  void theStoreThatFollowsAnExploreTeachesTheEntry() {
    s = new TestServer(TestServer.config(dir), clock);
    s.call("PUT", "/v1/namespaces/faq", Map.of("decision", "verified", "audit_rate", 0.0));
    String id = s.store("faq", PROMPT, ANSWER).json().get("entry_id").asText();
    Response explore = s.lookup("faq", PARAPHRASE);
    assertThat(explore.json().get("kind").asText()).isEqualTo("explore");
    Response stored = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", PARAPHRASE, "response",
        ANSWER, "lookup_id", explore.json().get("lookup_id").asText()));
    assertThat(stored.status()).isEqualTo(201);
    JsonNode audits = s.call("GET", "/v1/namespaces/faq/audits?limit=10", null).json().get("audits");
    assertThat(audits).hasSize(1);
    assertThat(audits.get(0).get("entry_id").asText()).isEqualTo(id);
    assertThat(audits.get(0).get("verdict").asText()).isEqualTo("correct");
    assertThat(audits.get(0).get("source").asText()).isEqualTo("identical");
    assertThat(verified("faq").get("entries_with_verdicts").asLong()).isEqualTo(1);
  }

  @Test
  void aLookupWithItsOwnThresholdIsDecidedStaticallyAndBadSettingsAreRefused() {
    s = new TestServer(TestServer.config(dir), clock);
    s.call("PUT", "/v1/namespaces/faq", Map.of("decision", "verified"));
    s.store("faq", PROMPT, ANSWER);
    Response r = s.call("POST", "/v1/lookup", Map.of("namespace", "faq", "prompt", PARAPHRASE, "threshold", 0.8));
    assertThat(r.header("X-Cache-Status")).isEqualTo("HIT-SEMANTIC");

    Response bad = s.call("PUT", "/v1/namespaces/faq", Map.of("decision", "dynamic"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("error").get("message").asText())
        .isEqualTo("decision must be 'static' or 'verified'; decision='dynamic'");
    Response bound = s.call("PUT", "/v1/namespaces/faq", Map.of("max_false_hit_rate", 1.5));
    assertThat(bound.status()).isEqualTo(400);
    assertThat(bound.json().get("error").get("message").asText())
        .isEqualTo("max_false_hit_rate must be above 0 and below 1; max_false_hit_rate=1.5");
    assertThat(s.call("GET", "/v1/namespaces/faq", null).json().get("decision").asText()).as("unchanged")
        .isEqualTo("verified");
  }
}
