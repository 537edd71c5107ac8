package dev.semcache.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.semcache.index.Entry;
import dev.semcache.index.Scope;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The wire form of a lookup, {@code POST /v1/lookup}: reading and checking the request body, and writing
 * the answer. The HTTP API calls it, and so does {@code HotPathStagesBenchmark} (bench), so that the
 * benchmark times the server's own code. docs/api.md describes both forms.
 */
public final class LookupCodec {
  /** The fields a lookup body may hold. */
  public static final Set<String> FIELDS = Set.of("namespace", "prompt", "scope", "threshold");

  private LookupCodec() {}

  /** What to check once the namespace is read, before the other fields are (the caller's authorisation). */
  @FunctionalInterface
  public interface NamespaceCheck {
    void check(String namespace);
  }

  /**
   * Reads a lookup body: strict UTF-8, one JSON object, only {@link #FIELDS}, a valid namespace (then
   * {@code check}), a prompt, an optional scope and threshold. The prompt and threshold are checked
   * further by the cache.
   *
   * @throws ApiException a 400 answer naming what is wrong, or whatever {@code check} throws
   */
  public static LookupRequest read(byte[] body, NamespaceCheck check) {
    PlainBody plain = PlainBody.read(body);
    if (plain != null) {
      String ns = Requests.namespace(JsonBody.wellFormed("namespace", plain.namespace()));
      check.check(ns);
      String prompt = JsonBody.wellFormed("prompt", plain.prompt());
      Scope scope = plain.scope() == null ? Scope.EMPTY : Scope.of(JsonBody.checkedStringMap("scope", plain.scope(),
          Requests.MAX_ATTRIBUTES, Requests.MAX_ATTRIBUTE_KEY_CHARS, Requests.MAX_ATTRIBUTE_VALUE_CHARS));
      return new LookupRequest(ns, prompt, scope, plain.threshold());
    }
    JsonBody json = JsonBody.parse(body);
    json.only(FIELDS);
    String ns = Requests.namespace(json.requiredString("namespace"));
    check.check(ns);
    String prompt = json.requiredString("prompt");
    Scope scope = Requests.scope(json);
    Double threshold = json.optionalNumber("threshold").orElse(null);
    return new LookupRequest(ns, prompt, scope, threshold);
  }

  /**
   * A lookup body of the plain shape, read in one streaming pass over its bytes without building a
   * tree: one JSON object holding only {@link #FIELDS}, each once, with a string namespace and prompt, a
   * scope that is absent, null or an object of strings, and a threshold that is absent, null or a number.
   * Any other body (malformed, unknown or repeated fields, another type, an empty body) reads as null and
   * goes the strict way ({@link JsonBody}), which finds and names what is wrong; so both ways refuse the
   * same bodies with the same answers, and read the same values from the rest. Bytes above 0x7f are
   * checked as strict UTF-8 first, as {@link JsonBody#parse} does.
   */
  private record PlainBody(String namespace, String prompt, Map<String, String> scope, Double threshold) {
    static PlainBody read(byte[] body) {
      if (body.length == 0) {
        return null;
      }
      boolean ascii = true;
      for (byte b : body) {
        if (b < 0) {
          ascii = false;
          break;
        }
      }
      String text = ascii ? null : JsonBody.utf8(body); // a bad byte is refused here, as the strict way would
      try (JsonParser p = ascii ? JsonBody.MAPPER.getFactory().createParser(body)
          : JsonBody.MAPPER.getFactory().createParser(text)) {
        if (p.nextToken() != JsonToken.START_OBJECT) {
          return null;
        }
        String ns = null;
        String prompt = null;
        Map<String, String> scope = null;
        Double threshold = null;
        int seen = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
          if (t != JsonToken.FIELD_NAME) {
            return null;
          }
          String name = p.currentName();
          int bit = switch (name) {
            case "namespace" -> 1;
            case "prompt" -> 2;
            case "scope" -> 4;
            case "threshold" -> 8;
            default -> 0;
          };
          if (bit == 0 || (seen & bit) != 0) {
            return null;
          }
          seen |= bit;
          JsonToken v = p.nextToken();
          switch (bit) {
            case 1, 2 -> {
              if (v != JsonToken.VALUE_STRING) {
                return null;
              }
              if (bit == 1) {
                ns = p.getText();
              } else {
                prompt = p.getText();
              }
            }
            case 4 -> {
              if (v == JsonToken.START_OBJECT) {
                scope = new LinkedHashMap<>();
                for (JsonToken a = p.nextToken(); a != JsonToken.END_OBJECT; a = p.nextToken()) {
                  String key = p.currentName();
                  if (p.nextToken() != JsonToken.VALUE_STRING || scope.put(key, p.getText()) != null) {
                    return null;
                  }
                }
              } else if (v != JsonToken.VALUE_NULL) {
                return null;
              }
            }
            default -> {
              if (v == JsonToken.VALUE_NUMBER_INT || v == JsonToken.VALUE_NUMBER_FLOAT) {
                threshold = p.getDoubleValue();
              } else if (v != JsonToken.VALUE_NULL) {
                return null;
              }
            }
          }
        }
        if (p.nextToken() != null || ns == null || prompt == null) {
          return null;
        }
        return new PlainBody(ns, prompt, scope, threshold);
      } catch (IOException | RuntimeException e) {
        return null; // malformed, too deep, a repeated key: the strict way names it
      }
    }
  }

  /**
   * The answer to a lookup, as UTF-8 JSON; {@code nowMillis} dates the hit's age. The fields are written
   * in a fixed order straight into one array (strings escaped by Jackson's {@link JsonStringEncoder}, numbers
   * as {@code Double.toString} and {@code Float.toString}) without a generator per answer (a tenth of an
   * exact hit's time on the event loop, bench/README.md). The bytes are those Jackson's generator wrote,
   * which {@code LookupCodecTest} checks, except that a character beyond the BMP (an emoji) is written
   * as its four UTF-8 bytes rather than as two {@code \\u} escapes: the same string to any JSON reader.
   */
  public static byte[] write(LookupResult r, long nowMillis) {
    Entry e = r.hit() ? r.entry() : r.nearest();
    JsonBytes b = new JsonBytes();
    b.raw(r.hit() ? HIT_KIND : MISS_KIND).raw(KIND_NAMES[r.kind().ordinal()])
        .raw(LOOKUP_ID).string(r.lookupId())
        .raw(THRESHOLD).number(r.threshold())
        .raw(AUDIT).bool(r.audit());
    if (r.hit()) {
      HitText text = hitText(e);
      b.raw(RESPONSE).raw(text.response)
          .raw(SIMILARITY).number(Math.min(1f, r.similarity())) // float rounding can give 1.0000001
          .raw(text.promptAndId)
          .raw(AGE_S).number(Math.max(0, (nowMillis - e.createdAtMillis()) / 1000))
          .raw(EXPIRES_AT).string(isoInstant(e.expiresAtMillis()))
          .raw(text.metadata);
    } else if (Float.isNaN(r.similarity())) {
      b.raw(NEAREST_NULL);
    } else {
      b.raw(NEAREST_SIMILARITY).number(Math.min(1f, r.similarity()));
      if (e != null) {
        b.raw(NEAREST_ENTRY_ID).string(e.id())
            .raw(NEAREST_PROMPT).string(e.prompt())
            .raw(NEAREST_RESPONSE).string(e.response());
      }
    }
    return b.raw(CLOSE).toByteArray();
  }

  /**
   * The parts of a hit's answer that come from the entry's unchanging text, encoded: the response, then
   * {@code ,"matched_prompt":...,"entry_id":...}, then the metadata object or nothing; with the text
   * they were encoded from, so that they are used again only for an entry with equal text.
   */
  private record HitText(String id, String responseText, String promptText, Map<String, String> metadataText,
      byte[] response, byte[] promptAndId, byte[] metadata) {
    boolean encodes(Entry e) {
      return id.equals(e.id()) && responseText.equals(e.response()) && promptText.equals(e.prompt())
          && metadataText.equals(e.metadata());
    }

    int weight() {
      return 160 + 2 * (responseText.length() + promptText.length()) + response.length + promptAndId.length
          + 2 * metadata.length;
    }
  }

  /**
   * Encoded answer text of recently served entries, by entry id, bounded by its bytes: a hot entry's
   * response is escaped once rather than on every hit (escaping a few hundred characters was most of
   * the answer's writing, bench/README.md). The storage keeps a hot entry's text as the same strings, so
   * the check that the text is still equal ({@link HitText#encodes}) usually compares a string with itself.
   */
  private static final Cache<String, HitText> HIT_TEXT = Caffeine.newBuilder()
      .maximumWeight(16L << 20)
      .weigher((String id, HitText t) -> t.weight())
      .build();

  private static HitText hitText(Entry e) {
    HitText t = HIT_TEXT.getIfPresent(e.id());
    if (t != null && t.encodes(e)) {
      return t;
    }
    JsonBytes promptAndId = new JsonBytes()
        .raw(MATCHED_PROMPT).string(e.prompt()).raw(ENTRY_ID).string(e.id());
    JsonBytes metadata = new JsonBytes();
    if (!e.metadata().isEmpty()) {
      metadata.raw(METADATA);
      boolean first = true;
      for (var m : e.metadata().entrySet()) {
        if (!first) {
          metadata.raw(COMMA);
        }
        first = false;
        metadata.string(m.getKey()).raw(COLON).string(m.getValue());
      }
      metadata.raw(CLOSE);
    }
    t = new HitText(e.id(), e.response(), e.prompt(), e.metadata(), new JsonBytes().string(e.response()).toByteArray(),
        promptAndId.toByteArray(), metadata.toByteArray());
    HIT_TEXT.put(e.id(), t);
    return t;
  }

  private static final byte[] HIT_KIND = ascii("{\"hit\":true,\"kind\":\"");
  private static final byte[] MISS_KIND = ascii("{\"hit\":false,\"kind\":\"");
  private static final byte[][] KIND_NAMES = java.util.Arrays.stream(LookupResult.Kind.values())
      .map(k -> ascii(k.name().toLowerCase(java.util.Locale.ROOT) + "\"")).toArray(byte[][]::new);
  private static final byte[] LOOKUP_ID = ascii(",\"lookup_id\":");
  private static final byte[] THRESHOLD = ascii(",\"threshold\":");
  private static final byte[] AUDIT = ascii(",\"audit\":");
  private static final byte[] RESPONSE = ascii(",\"response\":");
  private static final byte[] SIMILARITY = ascii(",\"similarity\":");
  private static final byte[] MATCHED_PROMPT = ascii(",\"matched_prompt\":");
  private static final byte[] ENTRY_ID = ascii(",\"entry_id\":");
  private static final byte[] AGE_S = ascii(",\"age_s\":");
  private static final byte[] EXPIRES_AT = ascii(",\"expires_at\":");
  private static final byte[] METADATA = ascii(",\"metadata\":{");
  private static final byte[] NEAREST_NULL = ascii(",\"nearest_similarity\":null");
  private static final byte[] NEAREST_SIMILARITY = ascii(",\"nearest_similarity\":");
  private static final byte[] NEAREST_ENTRY_ID = ascii(",\"nearest_entry_id\":");
  private static final byte[] NEAREST_PROMPT = ascii(",\"nearest_prompt\":");
  private static final byte[] NEAREST_RESPONSE = ascii(",\"nearest_response\":");
  private static final byte[] COMMA = ascii(",");
  private static final byte[] COLON = ascii(":");
  private static final byte[] CLOSE = ascii("}");

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * JSON bytes gathered as pieces (raw pieces, escaped strings, numbers as Jackson writes them) and
   * copied once, into an array of exactly their length, by {@link #toByteArray}.
   */
  private static final class JsonBytes {
    private byte[][] pieces = new byte[24][];
    private int count;
    private int length;

    JsonBytes raw(byte[] b) {
      if (count == pieces.length) {
        pieces = java.util.Arrays.copyOf(pieces, count * 2);
      }
      pieces[count++] = b;
      length += b.length;
      return this;
    }

    JsonBytes string(String s) {
      return raw(QUOTE).raw(JsonStringEncoder.getInstance().quoteAsUTF8(s)).raw(QUOTE);
    }

    JsonBytes number(double d) {
      // As Jackson's generator: a value that is not finite is written as a string ("NaN").
      if (!Double.isFinite(d)) {
        return string(Double.toString(d));
      }
      LastDouble last = lastDouble; // thresholds repeat: a namespace's threshold is written on every answer
      if (last == null || Double.doubleToRawLongBits(last.value) != Double.doubleToRawLongBits(d)) {
        last = new LastDouble(d, ascii(Double.toString(d)));
        lastDouble = last;
      }
      return raw(last.bytes);
    }

    JsonBytes number(float f) {
      return Float.isFinite(f) ? raw(f == 1f ? ONE : ascii(Float.toString(f))) : string(Float.toString(f));
    }

    JsonBytes number(long l) {
      return raw(ascii(Long.toString(l)));
    }

    JsonBytes bool(boolean v) {
      return raw(v ? TRUE : FALSE);
    }

    byte[] toByteArray() {
      byte[] out = new byte[length];
      int at = 0;
      for (int i = 0; i < count; i++) {
        System.arraycopy(pieces[i], 0, out, at, pieces[i].length);
        at += pieces[i].length;
      }
      return out;
    }

    private record LastDouble(double value, byte[] bytes) {}

    /** The last double written, shared by all threads (an immutable pair; a race only recomputes it). */
    private static LastDouble lastDouble;
    private static final byte[] QUOTE = ascii("\"");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");
    private static final byte[] ONE = ascii(Float.toString(1f));
  }

  /**
   * {@code Instant.ofEpochMilli(millis).toString()}, without the formatter: it was a quarter of an exact
   * hit's answer writing under load (JFR, bench/README.md). Years 0 to 9999 are written here; others
   * (never an expiry semcache sets) go to {@link Instant#toString}. {@code LookupCodecTest} checks both
   * agree.
   */
  static String isoInstant(long millis) {
    long days = Math.floorDiv(millis, 86_400_000L);
    int msOfDay = (int) Math.floorMod(millis, 86_400_000L);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm, proleptic Gregorian like java.time).
    long z = days + 719_468;
    long era = Math.floorDiv(z, 146_097);
    long doe = z - era * 146_097;
    long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    int day = (int) (doy - (153 * mp + 2) / 5 + 1);
    int month = (int) (mp < 10 ? mp + 3 : mp - 9);
    long year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 0 || year > 9999) {
      return Instant.ofEpochMilli(millis).toString();
    }
    int ms = msOfDay % 1000;
    int secs = msOfDay / 1000;
    char[] c = new char[ms == 0 ? 20 : 24];
    digits(c, 0, (int) year, 4);
    c[4] = '-';
    digits(c, 5, month, 2);
    c[7] = '-';
    digits(c, 8, day, 2);
    c[10] = 'T';
    digits(c, 11, secs / 3600, 2);
    c[13] = ':';
    digits(c, 14, secs / 60 % 60, 2);
    c[16] = ':';
    digits(c, 17, secs % 60, 2);
    if (ms != 0) {
      c[19] = '.';
      digits(c, 20, ms, 3);
    }
    c[c.length - 1] = 'Z';
    return new String(c);
  }

  private static void digits(char[] c, int at, int value, int width) {
    for (int i = at + width - 1; i >= at; i--) {
      c[i] = (char) ('0' + value % 10);
      value /= 10;
    }
  }
}
