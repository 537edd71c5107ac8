package dev.semcache.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.Entry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * A cached answer served as a chat completion: whole ({@code chat.completion}), or replayed as the
 * stream of {@code chat.completion.chunk} events a streaming request expects, ending in {@code data:
 * [DONE]}. Each answer gets a fresh {@code id} and {@code created}, and the request's {@code model}.
 *
 * <p>An entry stored by proxy mode holds the assistant's text as its response and, in its metadata,
 * the token usage the original call reported ({@link #USAGE}), the model that answered and the
 * upstream's {@code system_fingerprint}. The usage is what the original answer cost, reported again.
 */
final class ChatCompletionReplay {
  static final String USAGE = "proxy.usage";
  static final String MODEL = "proxy.model";
  static final String SYSTEM_FINGERPRINT = "proxy.system_fingerprint";
  /** Characters of content per replayed chunk: small enough that a client renders it as a stream. */
  static final int CHUNK_CHARS = 64;

  private ChatCompletionReplay() {}

  /** The metadata an answer is stored with. */
  static Map<String, String> metadata(UpstreamAnswer a) {
    Map<String, String> m = new HashMap<>();
    if (a.usage() != null) {
      m.put(USAGE, a.usage().toString());
    }
    if (a.model() != null) {
      m.put(MODEL, a.model());
    }
    if (a.systemFingerprint() != null) {
      m.put(SYSTEM_FINGERPRINT, a.systemFingerprint());
    }
    m.put("source", "proxy");
    return m;
  }

  /** The whole {@code chat.completion} for a hit. */
  static byte[] completion(Entry e, String model, String lookupId, long nowS) {
    ObjectNode out = head(lookupId, "chat.completion", model, nowS, e);
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    message.put("content", e.response());
    message.putNull("refusal");
    choice.putNull("logprobs");
    choice.put("finish_reason", "stop");
    JsonNode usage = usage(e);
    if (usage != null) {
      out.set("usage", usage);
    }
    return bytes(out);
  }

  /** The SSE stream for a hit: role, content in pieces, finish, usage if asked, {@code [DONE]}. */
  static byte[] stream(Entry e, String model, String lookupId, long nowS, boolean includeUsage) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(e.response().length() * 2 + 512);
    ObjectNode first = chunk(e, model, lookupId, nowS);
    first.withArray("choices").addObject().put("index", 0).<ObjectNode>set("delta",
        ChatRequest.JSON.createObjectNode().put("role", "assistant").put("content", "")).putNull("logprobs")
        .putNull("finish_reason");
    event(out, first);
    String text = e.response();
    int i = 0;
    while (i < text.length()) {
      int end = Math.min(text.length(), i + CHUNK_CHARS);
      if (end < text.length() && Character.isHighSurrogate(text.charAt(end - 1))) {
        end--; // never split a surrogate pair
      }
      ObjectNode c = chunk(e, model, lookupId, nowS);
      c.withArray("choices").addObject().put("index", 0).<ObjectNode>set("delta",
          ChatRequest.JSON.createObjectNode().put("content", text.substring(i, end))).putNull("logprobs")
          .putNull("finish_reason");
      event(out, c);
      i = end;
    }
    ObjectNode last = chunk(e, model, lookupId, nowS);
    last.withArray("choices").addObject().put("index", 0).<ObjectNode>set("delta", ChatRequest.JSON.createObjectNode())
        .putNull("logprobs").put("finish_reason", "stop");
    event(out, last);
    JsonNode usage = usage(e);
    if (includeUsage && usage != null) {
      ObjectNode u = chunk(e, model, lookupId, nowS);
      u.putArray("choices");
      u.set("usage", usage);
      event(out, u);
    }
    out.writeBytes("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
    return out.toByteArray();
  }

  private static ObjectNode chunk(Entry e, String model, String lookupId, long nowS) {
    return head(lookupId, "chat.completion.chunk", model, nowS, e);
  }

  private static ObjectNode head(String lookupId, String object, String model, long nowS, Entry e) {
    ObjectNode out = ChatRequest.JSON.createObjectNode();
    // The lookup id is unique per answer, and names the lookup that served it (for audits and feedback).
    out.put("id", "chatcmpl-semcache-" + lookupId);
    out.put("object", object);
    out.put("created", nowS);
    out.put("model", model.isEmpty() ? e.metadata().getOrDefault(MODEL, "") : model);
    String fp = e.metadata().get(SYSTEM_FINGERPRINT);
    if (fp != null) {
      out.put("system_fingerprint", fp);
    }
    return out;
  }

  private static JsonNode usage(Entry e) {
    String u = e.metadata().get(USAGE);
    if (u == null) {
      return null;
    }
    try {
      return ChatRequest.JSON.readTree(u);
    } catch (IOException x) {
      return null;
    }
  }

  private static void event(ByteArrayOutputStream out, ObjectNode chunk) {
    out.writeBytes("data: ".getBytes(StandardCharsets.US_ASCII));
    out.writeBytes(bytes(chunk));
    out.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
  }

  private static byte[] bytes(ObjectNode n) {
    try {
      return ChatRequest.JSON.writeValueAsBytes(n);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
