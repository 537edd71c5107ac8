package dev.semcache.server.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.semcache.index.PromptNormalizer;
import dev.semcache.index.Scope;
import java.time.Duration;
import java.util.Optional;

/**
 * Embeddings of recent misses, kept for a short time under their lookup id so that the store which
 * follows the model call does not embed the same prompt again. Bounded in count and age (Caffeine).
 */
final class PendingLookups {

  record Pending(String namespace, Scope scope, String normalizedPrompt, float[] vector) {}

  private final Cache<String, Pending> cache;

  PendingLookups(long maxSize, Duration ttl, Ticker ticker) {
    this.cache = Caffeine.newBuilder().maximumSize(maxSize).expireAfterWrite(ttl).ticker(ticker).build();
  }

  void remember(String lookupId, String namespace, Scope scope, String prompt, float[] vector) {
    cache.put(lookupId, new Pending(namespace, scope, PromptNormalizer.normalize(prompt), vector));
  }

  /** The vector remembered for {@code lookupId}, if it belongs to the same namespace, scope and prompt. */
  Optional<float[]> vectorFor(String lookupId, String namespace, Scope scope, String prompt) {
    if (lookupId == null) {
      return Optional.empty();
    }
    Pending p = cache.getIfPresent(lookupId);
    if (p == null || !p.namespace().equals(namespace) || !p.scope().equals(scope)
        || !p.normalizedPrompt().equals(PromptNormalizer.normalize(prompt))) {
      return Optional.empty();
    }
    return Optional.of(p.vector());
  }

  long size() {
    return cache.estimatedSize();
  }
}
