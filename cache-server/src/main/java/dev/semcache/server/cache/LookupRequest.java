package dev.semcache.server.cache;

import dev.semcache.index.Scope;

/**
 * A gateway's question: has a prompt meaning the same been answered in this namespace and scope?
 *
 * @param namespace the tenant or application
 * @param prompt the prompt as the gateway will send it to the model
 * @param scope exact-match attributes; only entries stored under an equal scope can match
 * @param threshold overrides the namespace's similarity threshold for this lookup, or null
 */
public record LookupRequest(String namespace, String prompt, Scope scope, Double threshold) {
  public LookupRequest {
    scope = scope == null ? Scope.EMPTY : scope;
  }
}
