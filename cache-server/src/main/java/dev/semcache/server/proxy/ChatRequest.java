package dev.semcache.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * An OpenAI chat completion request, read for caching: the last user turn (the semantic key) and a
 * fingerprint of everything else that changes the answer (an exact filter).
 *
 * <h2>The fingerprint</h2>
 * SHA-256 of the canonical JSON (keys sorted, numbers in their shortest plain form, no spaces) of:
 * every top-level field of the request except those that do not change the answer ({@link
 * #NOT_IN_FINGERPRINT}: {@code messages}, {@code stream}, {@code stream_options}, {@code user}...), so
 * {@code model}, {@code tools}, {@code tool_choice}, {@code response_format}, {@code temperature},
 * {@code top_p}, {@code seed}, {@code max_tokens}, {@code stop}, {@code n} and any field this build does
 * not know are in; every system and developer message; the earlier messages of the conversation (all, or
 * the last {@code window}); and, when the last turn is not matched by meaning, that turn too. Leaving
 * out a field that matters would serve one request's answer to another, so unknown fields count.
 */
final class ChatRequest {
  static final ObjectMapper JSON = new ObjectMapper();
  /** Fields that never change the answer's content: how it is delivered, and who asked. */
  static final Set<String> NOT_IN_FINGERPRINT = Set.of("messages", "stream", "stream_options", "user", "metadata",
      "store", "service_tier", "prompt_cache_key", "safety_identifier");

  /** What the last message of the conversation is, for the choice of key. */
  enum LastTurn {
    /** A user turn of text only: matched by meaning. */
    TEXT,
    /** A user turn with no text: matched exactly. */
    EMPTY,
    /** A tool's result (or another non-user turn last): matched exactly. */
    TOOL,
    /** A user turn with images, audio or files: uncached unless the namespace caches it exactly. */
    NON_TEXT
  }

  private final ObjectNode body;
  private final List<JsonNode> messages;
  private final LastTurn lastTurn;
  private final String lastText;

  private ChatRequest(ObjectNode body, List<JsonNode> messages, LastTurn lastTurn, String lastText) {
    this.body = body;
    this.messages = messages;
    this.lastTurn = lastTurn;
    this.lastText = lastText;
  }

  /**
   * Reads a request body.
   *
   * @throws ProxyRequestException 400 if it is not a JSON object with a non-empty {@code messages} array
   */
  static ChatRequest parse(byte[] bytes) {
    JsonNode node;
    try {
      node = JSON.readTree(bytes);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw ProxyRequestException.invalid("the body is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw ProxyRequestException.invalid("the body is not valid JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw ProxyRequestException.invalid("the body must be a JSON object (an OpenAI chat completion request)");
    }
    JsonNode m = node.get("messages");
    if (m == null || !m.isArray() || m.isEmpty()) {
      throw ProxyRequestException.invalid("'messages' must be a non-empty array of messages");
    }
    List<JsonNode> messages = new ArrayList<>();
    m.forEach(messages::add);
    for (int i = 0; i < messages.size(); i++) {
      if (!messages.get(i).isObject() || !messages.get(i).path("role").isTextual()) {
        throw ProxyRequestException.invalid("messages[" + i + "] must be an object with a string 'role'");
      }
    }
    JsonNode last = messages.get(messages.size() - 1);
    LastTurn kind;
    String text = null;
    if (!last.path("role").asText().equals("user")) {
      kind = LastTurn.TOOL;
    } else {
      text = textOf(last.get("content"));
      kind = text == null ? LastTurn.NON_TEXT : text.isBlank() ? LastTurn.EMPTY : LastTurn.TEXT;
    }
    return new ChatRequest((ObjectNode) node, List.copyOf(messages), kind, text);
  }

  /** The text of a message's content (a string, or text parts joined by newlines); null if it has other parts. */
  private static String textOf(JsonNode content) {
    if (content == null || content.isNull()) {
      return "";
    }
    if (content.isTextual()) {
      return content.asText();
    }
    if (!content.isArray()) {
      return null;
    }
    StringBuilder out = new StringBuilder();
    for (JsonNode part : content) {
      if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
        return null;
      }
      if (!out.isEmpty()) {
        out.append('\n');
      }
      out.append(part.get("text").asText());
    }
    return out.toString();
  }

  LastTurn lastTurn() {
    return lastTurn;
  }

  /** The last user turn's text (TEXT and EMPTY turns), else null. */
  String lastText() {
    return lastText;
  }

  String model() {
    return body.path("model").asText("");
  }

  boolean stream() {
    return body.path("stream").asBoolean(false);
  }

  /** Whether a streamed answer should end with a usage chunk ({@code stream_options.include_usage}). */
  boolean includeUsage() {
    return body.path("stream_options").path("include_usage").asBoolean(false);
  }

  /** Choices asked for ({@code n}, 1 if absent). */
  int choices() {
    JsonNode n = body.get("n");
    return n == null || n.isNull() ? 1 : n.asInt(1);
  }

  /** The sampling temperature; null if absent (the upstream's default, 1 at OpenAI, applies). */
  Double temperature() {
    JsonNode t = body.get("temperature");
    return t == null || t.isNull() || !t.isNumber() ? null : t.asDouble();
  }

  /** The same request without streaming: what an audit sends to the upstream. */
  byte[] withoutStreaming() {
    ObjectNode copy = body.deepCopy();
    copy.remove("stream");
    copy.remove("stream_options");
    try {
      return JSON.writeValueAsBytes(copy);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The fingerprint (see the class comment), 64 hex digits.
   *
   * @param window earlier non-system messages included: -1 all, else the last {@code window}
   * @param withLastTurn whether the last message is in it too (for a turn matched exactly)
   */
  String fingerprint(int window, boolean withLastTurn) {
    ObjectNode f = JsonNodeFactory.instance.objectNode();
    for (Map.Entry<String, JsonNode> e : body.properties()) {
      if (!NOT_IN_FINGERPRINT.contains(e.getKey())) {
        f.set(e.getKey(), e.getValue());
      }
    }
    ArrayNode system = f.putArray("semcache.system");
    List<JsonNode> earlier = new ArrayList<>();
    for (int i = 0; i < messages.size() - 1; i++) {
      JsonNode m = messages.get(i);
      String role = m.path("role").asText();
      if (role.equals("system") || role.equals("developer")) {
        system.add(m);
      } else {
        earlier.add(m);
      }
    }
    int from = window < 0 ? 0 : Math.max(0, earlier.size() - window);
    ArrayNode history = f.putArray("semcache.history");
    earlier.subList(from, earlier.size()).forEach(history::add);
    if (withLastTurn) {
      f.set("semcache.last", messages.get(messages.size() - 1));
    }
    StringBuilder canonical = new StringBuilder();
    canonical(f, canonical);
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(canonical.toString().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Canonical JSON: object keys sorted, numbers as plain decimals without trailing zeros (0, 0.0 and 0e0 agree). */
  static void canonical(JsonNode n, StringBuilder out) {
    if (n.isObject()) {
      TreeMap<String, JsonNode> sorted = new TreeMap<>();
      n.properties().forEach(e -> sorted.put(e.getKey(), e.getValue()));
      out.append('{');
      boolean first = true;
      for (var e : sorted.entrySet()) {
        if (!first) {
          out.append(',');
        }
        first = false;
        out.append(JsonNodeFactory.instance.textNode(e.getKey()).toString()).append(':');
        canonical(e.getValue(), out);
      }
      out.append('}');
    } else if (n.isArray()) {
      out.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        canonical(n.get(i), out);
      }
      out.append(']');
    } else if (n.isNumber()) {
      java.math.BigDecimal d = n.decimalValue().stripTrailingZeros();
      out.append(d.signum() == 0 ? "0" : d.toPlainString());
    } else {
      out.append(n.toString());
    }
  }
}
