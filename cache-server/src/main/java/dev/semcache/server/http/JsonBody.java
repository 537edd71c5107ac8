package dev.semcache.server.http;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * A request body: one JSON object, read strictly. The bytes must be valid UTF-8 (no overlong forms, no
 * encoded surrogates), the JSON must be one object with no duplicate keys, nothing after it, and at
 * most {@link #MAX_DEPTH} levels deep. Fields are read by name and type with messages that name the
 * field and what was sent; fields a route does not know are refused.
 */
final class JsonBody {
  static final int MAX_DEPTH = 16;
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
      .build();

  static {
    MAPPER.getFactory().setStreamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build());
  }

  private final ObjectNode node;

  private JsonBody(ObjectNode node) {
    this.node = node;
  }

  /** Parses a body that must be a JSON object. */
  static JsonBody parse(byte[] bytes) {
    if (bytes.length == 0) {
      throw ApiException.badRequest("malformed_json", "the request body is empty; send a JSON object");
    }
    String text = utf8(bytes);
    JsonNode parsed;
    try {
      parsed = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      throw ApiException.badRequest("malformed_json", "the request body is not valid JSON: " + e.getOriginalMessage()
          + (loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")"));
    }
    if (parsed == null || !parsed.isObject()) {
      throw ApiException.badRequest("malformed_json", "the request body must be a JSON object; got "
          + (parsed == null ? "nothing" : kind(parsed)));
    }
    return new JsonBody((ObjectNode) parsed);
  }

  /** Decodes strict UTF-8, naming the offset of the first bad byte. */
  static String utf8(byte[] bytes) {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    ByteBuffer in = ByteBuffer.wrap(bytes);
    CharBuffer out = CharBuffer.allocate(bytes.length);
    CoderResult r = decoder.decode(in, out, true);
    if (r.isError()) {
      throw ApiException.badRequest("invalid_utf8", "the request body is not valid UTF-8: bad byte 0x"
          + String.format("%02x", bytes[in.position()] & 0xff) + " at offset " + in.position());
    }
    decoder.flush(out);
    out.flip();
    return out.toString();
  }

  /** Refuses any field not in {@code known}. */
  JsonBody only(Set<String> known) {
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f)) {
        throw ApiException.badRequest("unknown_field", "unknown field '" + f + "'; this call takes "
            + String.join(", ", new TreeSet<>(known)));
      }
    }
    return this;
  }

  String requiredString(String field) {
    return optionalString(field).orElseThrow(() -> ApiException.invalid("'" + field + "' is required (a string)"));
  }

  Optional<String> optionalString(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isTextual()) {
      throw wrongType(field, "a string", v);
    }
    return Optional.of(wellFormed(field, v.textValue()));
  }

  Optional<Double> optionalNumber(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isNumber()) {
      throw wrongType(field, "a number", v);
    }
    return Optional.of(v.doubleValue());
  }

  Optional<Long> optionalLong(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw wrongType(field, "an integer", v);
    }
    return Optional.of(v.longValue());
  }

  Optional<Boolean> optionalBoolean(String field) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Optional.empty();
    }
    if (!v.isBoolean()) {
      throw wrongType(field, "true or false", v);
    }
    return Optional.of(v.booleanValue());
  }

  /** An object whose values are all strings, bounded in size. */
  Map<String, String> optionalStringMap(String field, int maxEntries, int maxKeyChars, int maxValueChars) {
    JsonNode v = node.get(field);
    if (v == null || v.isNull()) {
      return Map.of();
    }
    if (!v.isObject()) {
      throw wrongType(field, "an object of strings", v);
    }
    checkedCount(field, v.size(), maxEntries);
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
      var e = it.next();
      String key = checkedKey(field, e.getKey(), maxKeyChars);
      if (!e.getValue().isTextual()) {
        throw wrongType(field + "." + key, "a string", e.getValue());
      }
      out.put(key, checkedValue(field, key, e.getValue().textValue(), maxValueChars));
    }
    return out;
  }

  /**
   * The checks {@link #optionalStringMap} makes of an object whose values are already known to be
   * strings, in the same order and with the same messages (for a reader that did not build a tree).
   */
  static Map<String, String> checkedStringMap(String field, Map<String, String> read, int maxEntries, int maxKeyChars,
      int maxValueChars) {
    checkedCount(field, read.size(), maxEntries);
    for (var e : read.entrySet()) {
      checkedValue(field, checkedKey(field, e.getKey(), maxKeyChars), e.getValue(), maxValueChars);
    }
    return read;
  }

  private static void checkedCount(String field, int size, int maxEntries) {
    if (size > maxEntries) {
      throw ApiException.invalid("'" + field + "' may hold at most " + maxEntries + " attributes; it holds " + size);
    }
  }

  private static String checkedKey(String field, String key, int maxKeyChars) {
    wellFormed(field, key);
    if (key.isEmpty() || key.length() > maxKeyChars) {
      throw ApiException.invalid("'" + field + "' keys must be 1 to " + maxKeyChars + " characters; got '"
          + abbreviate(key) + "'");
    }
    return key;
  }

  private static String checkedValue(String field, String key, String value, int maxValueChars) {
    wellFormed(field + "." + key, value);
    if (value.length() > maxValueChars) {
      throw ApiException.invalid("'" + field + "." + key + "' may be at most " + maxValueChars + " characters; it has "
          + value.length());
    }
    return value;
  }

  ObjectNode node() {
    return node;
  }

  /** Refuses unpaired surrogates (a JSON \\uD800 escape), which no UTF-8 store can hold. */
  static String wellFormed(String field, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw ApiException.badRequest("invalid_utf8", "'" + field + "' holds an unpaired surrogate \\u"
            + String.format("%04X", (int) c) + " at character " + i + "; strings must be valid Unicode");
      }
    }
    return s;
  }

  private static ApiException wrongType(String field, String expected, JsonNode got) {
    return ApiException.invalid("'" + field + "' must be " + expected + "; got " + kind(got) + " " + abbreviate(got.toString()));
  }

  static String kind(JsonNode n) {
    return switch (n.getNodeType()) {
      case STRING -> "a string";
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      case NULL -> "null";
      default -> n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 57) + "...";
  }
}
