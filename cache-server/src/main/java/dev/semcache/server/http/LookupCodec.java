package dev.semcache.server.http;

import dev.semcache.index.Entry;
import dev.semcache.index.Scope;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
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
    JsonBody json = JsonBody.parse(body);
    json.only(FIELDS);
    String ns = Requests.namespace(json.requiredString("namespace"));
    check.check(ns);
    String prompt = json.requiredString("prompt");
    Scope scope = Requests.scope(json);
    Double threshold = json.optionalNumber("threshold").orElse(null);
    return new LookupRequest(ns, prompt, scope, threshold);
  }

  /** The answer to a lookup, as UTF-8 JSON; {@code nowMillis} dates the hit's age. */
  public static byte[] write(LookupResult r, long nowMillis) {
    var buffer = new ByteArrayOutputStream(256 + (r.hit() ? 2 * r.entry().response().length() : 0));
    try (var g = JsonBody.MAPPER.getFactory().createGenerator(buffer)) {
      g.writeStartObject();
      g.writeBooleanField("hit", r.hit());
      g.writeStringField("kind", r.kind().name().toLowerCase(java.util.Locale.ROOT));
      g.writeStringField("lookup_id", r.lookupId());
      g.writeNumberField("threshold", r.threshold());
      g.writeBooleanField("audit", r.audit());
      if (r.hit()) {
        Entry e = r.entry();
        g.writeStringField("response", e.response());
        g.writeNumberField("similarity", Math.min(1f, r.similarity())); // float rounding can give 1.0000001
        g.writeStringField("matched_prompt", e.prompt());
        g.writeStringField("entry_id", e.id());
        g.writeNumberField("age_s", Math.max(0, (nowMillis - e.createdAtMillis()) / 1000));
        g.writeStringField("expires_at", isoInstant(e.expiresAtMillis()));
        if (!e.metadata().isEmpty()) {
          g.writeObjectFieldStart("metadata");
          for (var m : e.metadata().entrySet()) {
            g.writeStringField(m.getKey(), m.getValue());
          }
          g.writeEndObject();
        }
      } else if (Float.isNaN(r.similarity())) {
        g.writeNullField("nearest_similarity");
      } else {
        g.writeNumberField("nearest_similarity", Math.min(1f, r.similarity()));
        if (r.nearest() != null) {
          g.writeStringField("nearest_entry_id", r.nearest().id());
          g.writeStringField("nearest_prompt", r.nearest().prompt());
          g.writeStringField("nearest_response", r.nearest().response());
        }
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return buffer.toByteArray();
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
