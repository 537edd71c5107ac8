package dev.semcache.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Reads an OpenAI chat completion stream (server-sent events, {@code data: {chunk}} ... {@code data:
 * [DONE]}) as it passes through, and assembles the answer it spells out. It only reads: the bytes go to
 * the caller unchanged. Lines may arrive split across chunks at any byte.
 */
final class StreamAssembler {
  private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
  private final StringBuilder data = new StringBuilder();
  private final StringBuilder content = new StringBuilder();
  private boolean sawContent;
  private boolean done;
  private boolean malformed;
  private boolean error;
  private boolean toolCalls;
  private boolean refusal;
  private boolean extras;
  private int maxIndex;
  private String finishReason;
  private JsonNode usage;
  private String model;
  private String systemFingerprint;

  /** Reads the next bytes of the stream. */
  void feed(byte[] bytes) {
    for (byte b : bytes) {
      if (b == '\n') {
        endLine();
      } else if (b != '\r') {
        line.write(b);
      }
    }
  }

  private void endLine() {
    String l = line.toString(StandardCharsets.UTF_8);
    line.reset();
    if (l.isEmpty()) {
      if (!data.isEmpty()) {
        event(data.toString());
        data.setLength(0);
      }
    } else if (l.startsWith("data:")) {
      if (!data.isEmpty()) {
        data.append('\n');
      }
      data.append(l.startsWith("data: ") ? l.substring(6) : l.substring(5));
    }
    // "event:", "id:", "retry:" and ": comments" do not change the answer.
  }

  private void event(String payload) {
    if (payload.strip().equals("[DONE]")) {
      done = true;
      return;
    }
    if (done) {
      malformed = true; // something after [DONE]: not a stream we understand
      return;
    }
    JsonNode chunk;
    try {
      chunk = ChatRequest.JSON.readTree(payload);
    } catch (IOException e) {
      malformed = true;
      return;
    }
    if (chunk == null || !chunk.isObject()) {
      malformed = true;
      return;
    }
    if (UpstreamAnswer.present(chunk.get("error"))) {
      error = true;
    }
    if (chunk.hasNonNull("model") && model == null) {
      model = chunk.get("model").asText();
    }
    if (chunk.hasNonNull("system_fingerprint")) {
      systemFingerprint = chunk.get("system_fingerprint").asText();
    }
    if (UpstreamAnswer.present(chunk.get("usage"))) {
      usage = chunk.get("usage");
    }
    for (JsonNode choice : chunk.path("choices")) {
      maxIndex = Math.max(maxIndex, choice.path("index").asInt(0));
      JsonNode delta = choice.path("delta");
      JsonNode c = delta.get("content");
      if (c != null && c.isTextual()) {
        content.append(c.asText());
        sawContent = true;
      }
      if (UpstreamAnswer.present(delta.get("tool_calls")) || UpstreamAnswer.present(delta.get("function_call"))) {
        toolCalls = true;
      }
      if (UpstreamAnswer.present(delta.get("refusal"))) {
        refusal = true;
      }
      if (UpstreamAnswer.present(choice.get("logprobs")) || UpstreamAnswer.present(delta.get("audio"))
          || UpstreamAnswer.present(delta.get("annotations"))) {
        extras = true;
      }
      if (choice.hasNonNull("finish_reason")) {
        finishReason = choice.get("finish_reason").asText();
      }
    }
  }

  /** The stream ended: an event not closed by a blank line still counts (some servers end so). */
  void end() {
    if (line.size() > 0) {
      endLine();
    }
    if (!data.isEmpty()) {
      event(data.toString());
      data.setLength(0);
    }
  }

  /** Whether {@code data: [DONE]} arrived. */
  boolean done() {
    return done;
  }

  /** The assembled answer; an unfinished or unreadable stream reads as an error, which is never stored. */
  UpstreamAnswer answer() {
    boolean broken = !done || malformed;
    return new UpstreamAnswer(sawContent ? content.toString() : null, finishReason, maxIndex + 1, toolCalls, refusal,
        extras, error || broken, usage, model, systemFingerprint);
  }
}
