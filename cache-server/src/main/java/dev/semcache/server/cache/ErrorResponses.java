package dev.semcache.server.cache;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.Optional;

/**
 * Recognises model error responses, which must never be cached (a cached error is served to everyone
 * who asks something similar until it expires).
 *
 * <p>A gateway marks an answer as an error in either of two ways, and should use the first:
 * <ol>
 *   <li>{@code model_status}: the HTTP status the model's API answered with. Anything outside 200-299
 *       is an error.
 *   <li>By forwarding the model's body as it came: a JSON object with a top-level {@code "error"} member
 *       is an error body in the shape of the OpenAI, Anthropic, Mistral and most gateway APIs.
 * </ol>
 * A blank response is refused too: it is never a useful answer.
 */
final class ErrorResponses {
  private static final JsonFactory JSON = new JsonFactory();

  private ErrorResponses() {}

  /** Why {@code response} must not be cached, or empty if it may be. */
  static Optional<String> whyUncacheable(String response, Integer modelStatus) {
    if (modelStatus != null && (modelStatus < 200 || modelStatus > 299)) {
      return Optional.of("model_status " + modelStatus + " is not a success (2xx): error responses are never cached");
    }
    if (response.isBlank()) {
      return Optional.of("response is blank: an empty answer is never cached");
    }
    if (hasTopLevelError(response)) {
      return Optional.of("response is a JSON object with a top-level \"error\" member, the shape of a model"
          + " error body: error responses are never cached (an answer that really is shaped so cannot be cached as sent;"
          + " wrap it, e.g. as a JSON string or under another key)");
    }
    return Optional.empty();
  }

  private static boolean hasTopLevelError(String response) {
    int i = 0;
    while (i < response.length() && Character.isWhitespace(response.charAt(i))) {
      i++;
    }
    if (i == response.length() || response.charAt(i) != '{') {
      return false;
    }
    try (JsonParser p = JSON.createParser(response)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return false;
      }
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        if ("error".equals(p.currentName())) {
          JsonToken v = p.nextToken();
          return v != JsonToken.VALUE_NULL && v != JsonToken.VALUE_FALSE;
        }
        p.nextToken();
        p.skipChildren();
      }
      return false;
    } catch (IOException e) {
      return false; // not JSON after all: opaque text, cacheable
    }
  }
}
