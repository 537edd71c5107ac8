package dev.semcache.index;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;

/**
 * The stored form of a {@link NamespaceConfig}: a UTF-8 JSON object with {@code "format"} and the
 * snake_case settings. Settings missing from an older record take today's defaults; unknown settings
 * and unknown formats are refused.
 *
 * <p>Formats: 1, the settings up to {@code near_miss_audit_band}; 2 (written now) adds proxy mode's
 * {@code fingerprint_window}, {@code cache_nondeterministic} and {@code cache_non_text}; 3 (written now)
 * adds verified decisions' {@code decision} and {@code max_false_hit_rate}. An older record reads as
 * format 3 with the settings it lacks at their defaults (a {@code static} namespace, which is what it
 * was). A build that reads only older formats refuses a newer record by its number instead of
 * misreading it.
 */
public final class NamespaceConfigCodec {
  public static final int FORMAT = 4;
  /** The oldest format this build still reads. */
  static final int OLDEST_FORMAT = 1;
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private NamespaceConfigCodec() {}

  public static byte[] encode(NamespaceConfig config) {
    ObjectNode node = JSON.valueToTree(config);
    ObjectNode out = JSON.createObjectNode().put("format", FORMAT);
    out.setAll(node);
    try {
      return JSON.writeValueAsBytes(out);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + config, e);
    }
  }

  public static NamespaceConfig decode(String namespace, byte[] value) {
    try {
      ObjectNode node = (ObjectNode) JSON.readTree(value);
      JsonNode format = node.remove("format");
      if (format == null || !format.isInt() || format.asInt() < OLDEST_FORMAT || format.asInt() > FORMAT) {
        throw new CorruptEntryException("config of namespace " + namespace + " has format " + format
            + "; this build reads formats " + OLDEST_FORMAT + " to " + FORMAT);
      }
      ObjectNode merged = JSON.valueToTree(NamespaceConfig.defaults());
      merged.setAll(node);
      return JSON.treeToValue(merged, NamespaceConfig.class);
    } catch (IOException | ClassCastException e) {
      throw new CorruptEntryException("config of namespace " + namespace + " is not readable: " + e.getMessage(), e);
    }
  }
}
