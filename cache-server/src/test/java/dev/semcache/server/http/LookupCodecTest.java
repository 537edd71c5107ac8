package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.semcache.index.Entry;
import dev.semcache.index.Scope;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import dev.semcache.server.cache.LookupTimings;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The lookup's wire form, as the API and the stage benchmark use it. */
class LookupCodecTest {
  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void readsALookupAndChecksTheNamespaceBeforeTheOtherFields() {
    List<String> checked = new ArrayList<>();
    LookupRequest r = LookupCodec.read(utf8("{\"namespace\":\"faq\",\"prompt\":\"hi\",\"scope\":{\"lang\":\"en\"},"
        + "\"threshold\":0.9}"), checked::add);
    assertThat(checked).containsExactly("faq");
    assertThat(r).isEqualTo(new LookupRequest("faq", "hi", Scope.of(Map.of("lang", "en")), 0.9));

    // The check runs before a missing prompt is noticed, as the API authorises before it reads the fields.
    assertThatThrownBy(() -> LookupCodec.read(utf8("{\"namespace\":\"faq\"}"), ns -> {
      throw new IllegalStateException("refused " + ns);
    })).hasMessage("refused faq");
  }

  @Test
  void refusesBadBodiesWithTheirCodes() {
    assertThatThrownBy(() -> LookupCodec.read(utf8("{\"namespace\":\"faq\",\"prompt\":\"hi\",\"k\":1}"), ns -> { }))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.status().code()).isEqualTo(400);
          assertThat(e.code()).isEqualTo("unknown_field");
          assertThat(e.getMessage()).contains("'k'");
        });
    assertThatThrownBy(() -> LookupCodec.read(new byte[] {'{', (byte) 0xc0, (byte) 0x80, '}'}, ns -> { }))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("invalid_utf8"));
    assertThatThrownBy(() -> LookupCodec.read(utf8("{\"namespace\":\"no spaces\",\"prompt\":\"hi\"}"), ns -> { }))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo("invalid_namespace"));
    assertThatThrownBy(() -> LookupCodec.read(utf8("{\"namespace\":\"faq\",\"prompt\":7}"), ns -> { }))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.getMessage()).contains("'prompt' must be a string"));
  }

  @Test
  void writesAnExactHitWithEveryField() throws Exception {
    long created = 1_764_000_000_000L;
    Entry e = new Entry("0123456789abcdef0123456789abcdef", "faq", Scope.EMPTY, "hi \"there\"", "hello\nworld",
        new float[] {1f}, created, 60_000, created + 60_500, 3, created + 1_000, Map.of("model", "m1"));
    LookupResult r = new LookupResult(LookupResult.Kind.EXACT, e, 1f, 0.9, "l" + "0".repeat(32),
        new LookupTimings(1, -1, -1), false, null);
    JsonNode json = new ObjectMapper().readTree(LookupCodec.write(r, created + 42_999));
    assertThat(json.get("hit").asBoolean()).isTrue();
    assertThat(json.get("kind").asText()).isEqualTo("exact");
    assertThat(json.get("lookup_id").asText()).isEqualTo("l" + "0".repeat(32));
    assertThat(json.get("threshold").asDouble()).isEqualTo(0.9);
    assertThat(json.get("audit").asBoolean()).isFalse();
    assertThat(json.get("response").asText()).isEqualTo("hello\nworld");
    assertThat(json.get("similarity").asDouble()).isEqualTo(1.0);
    assertThat(json.get("matched_prompt").asText()).isEqualTo("hi \"there\"");
    assertThat(json.get("entry_id").asText()).isEqualTo(e.id());
    assertThat(json.get("age_s").asLong()).isEqualTo(42);
    assertThat(json.get("expires_at").asText()).isEqualTo(Instant.ofEpochMilli(created + 60_500).toString());
    assertThat(json.get("metadata").get("model").asText()).isEqualTo("m1");
  }

  @Test
  void writesInstantsAsInstantDoes() {
    List<Long> cases = new ArrayList<>(List.of(0L, 1L, 999L, 1000L, -1L, -86_400_000L, 951_782_400_000L /* 2000-02-29 */,
        253_402_300_799_999L /* 9999-12-31T23:59:59.999 */, 253_402_300_800_000L /* year 10000 */,
        -62_167_219_200_000L /* year 0 */, -62_167_219_200_001L, Long.MAX_VALUE / 4));
    SplittableRandom random = new SplittableRandom(7);
    for (int i = 0; i < 20_000; i++) {
      cases.add(random.nextLong(-70_000_000_000_000L, 300_000_000_000_000L));
      cases.add(random.nextLong(1_700_000_000_000L, 2_100_000_000_000L) / 1000 * 1000); // whole seconds
    }
    for (long millis : cases) {
      assertThat(LookupCodec.isoInstant(millis)).as("millis %d", millis).isEqualTo(Instant.ofEpochMilli(millis).toString());
    }
  }
}
