package dev.semcache.server.cache;

import dev.semcache.index.Scope;
import java.util.Map;

/**
 * An answer to remember.
 *
 * @param namespace the tenant or application
 * @param prompt the prompt the model answered
 * @param response the model's answer, opaque UTF-8
 * @param scope the exact-match attributes it holds under
 * @param ttlSeconds time to live, or null for the namespace's default
 * @param metadata free-form attributes returned with the entry
 * @param lookupId the id of the miss this answers, if any: its embedding is reused when the namespace,
 *     scope and prompt match, so the prompt is not embedded twice
 * @param modelStatus the HTTP status the model's API answered with, if the gateway says; anything but
 *     2xx marks an error response, which is refused
 */
public record StoreRequest(String namespace, String prompt, String response, Scope scope, Long ttlSeconds,
    Map<String, String> metadata, String lookupId, Integer modelStatus) {
  public StoreRequest {
    scope = scope == null ? Scope.EMPTY : scope;
    metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
  }

  public StoreRequest(String namespace, String prompt, String response, Scope scope, Long ttlSeconds,
      Map<String, String> metadata, String lookupId) {
    this(namespace, prompt, response, scope, ttlSeconds, metadata, lookupId, null);
  }
}
