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

  /**
   * The answer is written without Jackson's generator; it must be the generator's bytes: random
   * strings with quotes, backslashes, control characters, non-ASCII and supplementary characters, every
   * kind, with and without metadata and a nearest entry.
   */
  @Test
  void writesTheBytesJacksonsGeneratorWrites() throws Exception {
    SplittableRandom random = new SplittableRandom(11);
    ObjectMapper mapper = new ObjectMapper();
    for (int i = 0; i < 2_000; i++) {
      long created = random.nextLong(0, 2_000_000_000_000L);
      Map<String, String> metadata = new java.util.LinkedHashMap<>();
      for (int m = random.nextInt(3); m > 0; m--) {
        metadata.put(text(random), text(random));
      }
      Entry e = new Entry(String.format("%032x", random.nextLong(Long.MAX_VALUE)), "faq", Scope.EMPTY, text(random),
          text(random), new float[0], created, 60_000, created + random.nextLong(0, 10_000_000), 1, created, metadata);
      LookupResult.Kind kind = LookupResult.Kind.values()[random.nextInt(4)];
      boolean hit = kind == LookupResult.Kind.EXACT || kind == LookupResult.Kind.SEMANTIC;
      float similarity = random.nextInt(5) == 0 ? Float.NaN : random.nextInt(5) == 0 ? 1.0000001f : (float) random.nextDouble();
      if (hit && Float.isNaN(similarity)) {
        similarity = 1f;
      }
      LookupResult r = new LookupResult(kind, hit ? e : null, similarity, random.nextDouble(), "l" + e.id(),
          new LookupTimings(1, -1, -1), random.nextBoolean(), !hit && random.nextBoolean() ? e : null);
      long now = created + random.nextLong(-5_000, 100_000_000);

      var expected = mapper.createObjectNode();
      expected.put("hit", hit).put("kind", kind.name().toLowerCase(java.util.Locale.ROOT)).put("lookup_id", r.lookupId())
          .put("threshold", r.threshold()).put("audit", r.audit());
      if (hit) {
        expected.put("response", e.response()).put("similarity", Math.min(1f, similarity))
            .put("matched_prompt", e.prompt()).put("entry_id", e.id())
            .put("age_s", Math.max(0, (now - created) / 1000))
            .put("expires_at", Instant.ofEpochMilli(e.expiresAtMillis()).toString());
        if (!metadata.isEmpty()) {
          var md = expected.putObject("metadata");
          e.metadata().forEach(md::put);
        }
      } else if (Float.isNaN(similarity)) {
        expected.putNull("nearest_similarity");
      } else {
        expected.put("nearest_similarity", Math.min(1f, similarity));
        if (r.nearest() != null) {
          expected.put("nearest_entry_id", e.id()).put("nearest_prompt", e.prompt()).put("nearest_response", e.response());
        }
      }
      String written = new String(LookupCodec.write(r, now), StandardCharsets.UTF_8);
      String jackson = new String(mapper.writeValueAsBytes(expected), StandardCharsets.UTF_8);
      JsonNode read = mapper.readTree(written);
      assertThat(read).as("case %d", i).isEqualTo(mapper.readTree(jackson));
      assertThat(ImmutableFieldOrder.of(read)).as("case %d", i).isEqualTo(ImmutableFieldOrder.of(expected));
      // Jackson 2's generator escapes a supplementary character as two \\u escapes; the codec writes its
      // four UTF-8 bytes (the same string to any JSON reader). Every other byte is the generator's.
      assertThat(written).as("case %d", i).isEqualTo(unescapeSurrogatePairs(jackson));
    }
  }

  /** Encoded answer text is kept by entry id, and used again only for an entry with the same text. */
  @Test
  void answerTextKeptByIdFollowsTheEntrysText() throws Exception {
    String id = "feedfacefeedfacefeedfacefeedface";
    ObjectMapper mapper = new ObjectMapper();
    for (String[] text : new String[][] {{"p1", "one", "m1"}, {"p1", "one", "m1"}, {"p1", "two", "m1"},
        {"p2", "two", "m1"}, {"p2", "two", "m2"}}) {
      Entry e = new Entry(id, "faq", Scope.EMPTY, text[0], text[1], new float[0], 0, 60_000, 60_000, 1, 0,
          Map.of("model", text[2]));
      JsonNode json = mapper.readTree(LookupCodec.write(new LookupResult(LookupResult.Kind.EXACT, e, 1f, 0.9,
          "l" + id, new LookupTimings(1, -1, -1), false, null), 1_000));
      assertThat(json.get("matched_prompt").asText()).isEqualTo(text[0]);
      assertThat(json.get("response").asText()).isEqualTo(text[1]);
      assertThat(json.get("metadata").get("model").asText()).isEqualTo(text[2]);
    }
  }

  /** Reads the same request, or refuses with the same answer, as the strict tree reader does. */
  @Test
  void readsAsTheStrictReaderDoes() {
    List<String> bodies = List.of(
        "{\"namespace\":\"faq\",\"prompt\":\"hi\"}",
        " {\"prompt\":\"h\\u00e9 \\\"q\\\"\",\"namespace\":\"faq\",\"threshold\":1,\"scope\":null}",
        "{\"namespace\":\"faq\",\"prompt\":\"héllo ✓ 😀\",\"scope\":{\"user\":\"ü\",\"b\":\"2\"},\"threshold\":0.85}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"threshold\":null,\"scope\":{}}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"prompt\":\"again\"}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"scope\":{\"a\":\"1\",\"a\":\"2\"}}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\"} {}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\"",
        "[\"namespace\"]",
        "",
        "{\"namespace\":\"faq\",\"prompt\":\"\\ud800\"}",
        "{\"namespace\":\"faq\",\"prompt\":null}",
        "{\"namespace\":7,\"prompt\":\"hi\"}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"scope\":{\"a\":1}}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"scope\":{\"\":\"x\"}}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"scope\":{\"a\":\"" + "x".repeat(1025) + "\"}}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"scope\":[\"a\"]}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"threshold\":\"0.9\"}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"threshold\":NaN}",
        "{\"namespace\":\"faq\",\"prompt\":\"hi\",\"extra\":{\"deep\":[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}}",
        "{\"namespace\":\"\",\"prompt\":\"hi\"}");
    for (String body : bodies) {
      byte[] bytes = utf8(body);
      Object fast = outcome(() -> LookupCodec.read(bytes, ns -> { }));
      Object strict = outcome(() -> {
        JsonBody json = JsonBody.parse(bytes);
        json.only(LookupCodec.FIELDS);
        String ns = Requests.namespace(json.requiredString("namespace"));
        String prompt = json.requiredString("prompt");
        return new LookupRequest(ns, prompt, Requests.scope(json), json.optionalNumber("threshold").orElse(null));
      });
      assertThat(fast).as(body).isEqualTo(strict);
    }
    assertThat(outcome(() -> LookupCodec.read(new byte[] {'{', '"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"', '}'},
        ns -> { })).toString()).startsWith("invalid_utf8 400");
  }

  private static Object outcome(java.util.concurrent.Callable<LookupRequest> read) {
    try {
      return read.call();
    } catch (ApiException e) {
      return e.code() + " " + e.status().code() + " " + e.getMessage();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The field names of an object, in order. */
  private record ImmutableFieldOrder(List<String> names) {
    static ImmutableFieldOrder of(JsonNode n) {
      List<String> names = new ArrayList<>();
      n.fieldNames().forEachRemaining(names::add);
      return new ImmutableFieldOrder(names);
    }
  }

  private static String unescapeSurrogatePairs(String json) {
    return java.util.regex.Pattern.compile("\\\\u(D[89AB][0-9A-F]{2})\\\\u(D[C-F][0-9A-F]{2})").matcher(json)
        .replaceAll(m -> new String(new char[] {(char) Integer.parseInt(m.group(1), 16),
            (char) Integer.parseInt(m.group(2), 16)}));
  }

  private static String text(SplittableRandom random) {
    String alphabet = "ab \"\\\n\t\u0001\u001f/<>&é✓\u2028";
    StringBuilder b = new StringBuilder();
    for (int n = random.nextInt(40); n > 0; n--) {
      if (random.nextInt(10) == 0) {
        b.appendCodePoint(0x1F600 + random.nextInt(50));
      } else {
        b.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    return b.toString();
  }
}
