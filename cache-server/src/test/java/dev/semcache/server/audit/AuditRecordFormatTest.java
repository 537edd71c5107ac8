package dev.semcache.server.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Audit records are versioned: only the second-stage judge's records (with judge_probability) are format 2. */
class AuditRecordFormatTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static AuditRecord record(Double judgeProbability) {
    return new AuditRecord(AuditRecord.formatFor(judgeProbability), "faq", "l" + "0".repeat(32), "hit", 0.9, 0.85,
        "p", "q", "e".repeat(32), "false_hit", judgeProbability == null ? "gateway" : "second_stage", null, 1, 2,
        false, judgeProbability);
  }

  @Test
  void aRecordWithoutAJudgeProbabilityStaysFormatOneAndWithoutTheField() throws Exception {
    byte[] bytes = JSON.writeValueAsBytes(record(null));
    assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"format\":1").doesNotContain("judge_probability");
    assertThat(Analytics.decode("k", bytes)).isEqualTo(record(null));
  }

  @Test
  void aSecondStageRecordIsFormatTwoAndReadBack() throws Exception {
    byte[] bytes = JSON.writeValueAsBytes(record(0.95));
    assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("\"format\":2").contains("\"judge_probability\":0.95");
    assertThat(Analytics.decode("k", bytes).judgeProbability()).isEqualTo(0.95);
  }

  @Test
  void anUnknownFormatIsRefusedByNumber() throws Exception {
    String text = new String(JSON.writeValueAsBytes(record(null)), StandardCharsets.UTF_8).replace("\"format\":1", "\"format\":3");
    assertThatThrownBy(() -> Analytics.decode("audits/faq/x", text.getBytes(StandardCharsets.UTF_8)))
        .hasMessageContaining("audit record audits/faq/x has format 3; this build reads 1 and 2");
  }
}
