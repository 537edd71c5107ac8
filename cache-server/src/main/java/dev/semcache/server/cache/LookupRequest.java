package dev.semcache.server.cache;

import dev.semcache.index.Scope;

/**
 * A gateway's question: has a prompt meaning the same been answered in this namespace and scope?
 *
 * @param namespace the tenant or application
 * @param prompt the prompt as the gateway will send it to the model
 * @param scope exact-match attributes; only entries stored under an equal scope can match
 * @param threshold overrides the namespace's similarity threshold for this lookup, or null
 * @param mayLowerThreshold whether {@code threshold} may be below the namespace's threshold. A lower
 *     override serves more hits, renews sliding TTLs, counts in the statistics and lowers the audit
 *     floor: it changes the namespace for everyone, so only a caller who may write may ask for it. A
 *     higher one only makes this lookup stricter.
 */
public record LookupRequest(String namespace, String prompt, Scope scope, Double threshold, boolean mayLowerThreshold) {
  public LookupRequest {
    scope = scope == null ? Scope.EMPTY : scope;
  }

  /** A lookup by a caller who may lower the threshold (in-process callers, tools, tests). */
  public LookupRequest(String namespace, String prompt, Scope scope, Double threshold) {
    this(namespace, prompt, scope, threshold, true);
  }
}
