package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.index.ManualClock;
import dev.semcache.server.http.TestServer.Response;
import dev.semcache.server.judge.JudgeCoefficients;
import dev.semcache.server.judge.SecondModel;
import dev.semcache.server.judge.SecondStageJudge;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The second-stage judge end to end, through the real server, both real models and storage: in a
 * verified namespace with {@code second_stage_judge}, an explore is judged off the lookup's path, its
 * verdict (labelled {@code second_stage}) is recorded as the lookup's audit and teaches the entry, and
 * the gateway's store that follows does not judge it a second time.
 */
class SecondStageJudgeApiTest {
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

  @Test
  void theJudgeTurnsAnExploreIntoAVerdictThatTeachesTheEntry() throws Exception {
    s = new TestServer(TestServer.config(dir), clock);
    s.server.cache().useSecondStage(new SecondStageJudge(JudgeCoefficients.bundled(), ModelSpec.DEFAULT,
        SecondModel.bge()));
    Response created = s.call("PUT", "/v1/namespaces/faq",
        Map.of("decision", "verified", "audit_rate", 0.0, "second_stage_judge", true));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().get("second_stage_judge").asBoolean()).isTrue();
    String id = s.store("faq", PROMPT, ANSWER).json().get("entry_id").asText();

    Response explore = s.lookup("faq", PARAPHRASE);
    assertThat(explore.json().get("kind").asText()).isEqualTo("explore");
    String lookupId = explore.json().get("lookup_id").asText();
    JsonNode audits = awaitAudits(1);
    JsonNode a = audits.get(0);
    assertThat(a.get("lookup_id").asText()).isEqualTo(lookupId);
    assertThat(a.get("source").asText()).isEqualTo("second_stage");
    assertThat(a.get("kind").asText()).isEqualTo("near_miss");
    assertThat(a.get("entry_id").asText()).isEqualTo(id);
    assertThat(a.get("verdict").asText()).isEqualTo("correct");
    assertThat(a.get("judge_probability").asDouble()).isGreaterThanOrEqualTo(SecondStageJudge.CORRECT_AT);
    JsonNode v = s.call("GET", "/v1/namespaces/faq/analysis", null).json().get("verified");
    assertThat(v.get("entries_with_verdicts").asLong()).as("the verdict taught the entry").isEqualTo(1);

    Response stored = s.call("POST", "/v1/entries", Map.of("namespace", "faq", "prompt", PARAPHRASE, "response",
        "Use the 'Forgot password' link; we email you a reset link.", "lookup_id", lookupId));
    assertThat(stored.status()).isEqualTo(201);
    Response gateway = s.call("POST", "/v1/audits/" + lookupId, Map.of("namespace", "faq", "verdict", "false_hit"));
    assertThat(gateway.status()).as("one verdict per lookup: the judge's came first").isEqualTo(409);
    assertThat(s.call("GET", "/v1/namespaces/faq/audits?limit=10", null).json().get("audits")).hasSize(1);
  }

  @Test
  void offByDefaultAndOnlyABoolean() {
    s = new TestServer(TestServer.config(dir), clock);
    Response created = s.call("PUT", "/v1/namespaces/faq", Map.of("decision", "verified"));
    assertThat(created.json().get("second_stage_judge").asBoolean()).isFalse();
    Response bad = s.call("PUT", "/v1/namespaces/faq", Map.of("second_stage_judge", "yes"));
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("error").get("message").asText())
        .isEqualTo("'second_stage_judge' must be true or false; got a string \"yes\"");
  }

  private JsonNode awaitAudits(int n) throws InterruptedException {
    long until = System.nanoTime() + 120_000_000_000L; // the judge is asynchronous; a loaded machine is slow
    JsonNode audits;
    do {
      audits = s.call("GET", "/v1/namespaces/faq/audits?limit=10", null).json().get("audits");
      if (audits.size() >= n) {
        return audits;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < until);
    return audits;
  }
}
