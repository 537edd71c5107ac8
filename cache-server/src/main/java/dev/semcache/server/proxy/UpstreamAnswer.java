package dev.semcache.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * What the upstream answered to a chat completion, read for the decision to store it and for the
 * replay: the same whether it came whole or as a stream.
 *
 * @param content the assistant message's text (null if none)
 * @param finishReason why the model stopped ({@code stop}, {@code length}, {@code tool_calls}...), or null
 * @param choices how many choices the answer has
 * @param toolCalls whether the model called a tool (or a function)
 * @param refusal whether the model refused
 * @param extras whether the answer carries something a replay would lose (logprobs, audio, annotations...)
 * @param error whether the answer is (or contains) an error object
 * @param usage the token usage, or null
 * @param model the model that answered, or null
 * @param systemFingerprint the upstream's {@code system_fingerprint}, or null
 */
record UpstreamAnswer(String content, String finishReason, int choices, boolean toolCalls, boolean refusal,
    boolean extras, boolean error, JsonNode usage, String model, String systemFingerprint) {

  /** Message members a replay reproduces (when null or empty). */
  private static final Set<String> PLAIN_MESSAGE = Set.of("role", "content", "refusal", "annotations", "audio",
      "tool_calls", "function_call");

  /** Reads a whole {@code chat.completion} object. */
  static UpstreamAnswer ofCompletion(JsonNode c) {
    JsonNode choices = c.path("choices");
    boolean error = c.has("error") && !c.get("error").isNull();
    if (!choices.isArray() || choices.isEmpty()) {
      return new UpstreamAnswer(null, null, 0, false, false, false, error, null, null, null);
    }
    JsonNode choice = choices.get(0);
    JsonNode message = choice.path("message");
    boolean tools = present(message.get("tool_calls")) || present(message.get("function_call"));
    boolean refusal = present(message.get("refusal"));
    boolean extras = present(choice.get("logprobs")) || present(message.get("audio"))
        || present(message.get("annotations"));
    for (Iterator<Map.Entry<String, JsonNode>> it = message.fields(); it.hasNext(); ) {
      var f = it.next();
      if (!PLAIN_MESSAGE.contains(f.getKey()) && present(f.getValue())) {
        extras = true;
      }
    }
    JsonNode content = message.get("content");
    return new UpstreamAnswer(content != null && content.isTextual() ? content.asText() : null,
        choice.path("finish_reason").isTextual() ? choice.get("finish_reason").asText() : null, choices.size(), tools,
        refusal, extras, error, present(c.get("usage")) ? c.get("usage") : null, text(c, "model"),
        text(c, "system_fingerprint"));
  }

  static boolean present(JsonNode n) {
    return n != null && !n.isNull() && !(n.isContainerNode() && n.isEmpty()) && !(n.isBoolean() && !n.asBoolean());
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    return v != null && v.isTextual() ? v.asText() : null;
  }
}
