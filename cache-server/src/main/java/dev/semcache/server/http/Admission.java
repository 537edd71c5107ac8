package dev.semcache.server.http;

import dev.semcache.index.NamespaceConfig;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.http.ApiKeys.Principal;
import dev.semcache.server.quota.ConcurrencyLimits;
import dev.semcache.server.quota.RateLimits;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The quotas a v1 call passes before it does work: the API key's and the namespace's request rate
 * (token buckets, answered 429 with Retry-After) and their {@code max_concurrent_embeddings}.
 * docs/reliability.md describes both.
 */
final class Admission {
  private final SemanticCache cache;
  private final RateLimits rates;
  private final ConcurrencyLimits embeddings = new ConcurrencyLimits();

  Admission(SemanticCache cache) {
    this.cache = cache;
    this.rates = new RateLimits(cache.clock());
  }

  /** Takes one request from the key's and the namespace's rate limits ({@code config} null: not known yet). */
  void admit(Principal who, String ns, NamespaceConfig config) {
    long wait = rates.tryAcquire("key:" + who.name(), who.ratePerS(), who.rateBurst());
    if (wait > 0) {
      throw rateLimited("key '" + who.name() + "' is over its rate limit (" + who.ratePerS() + " requests/s)", wait);
    }
    if (config != null) {
      admitNamespace(ns, config);
    }
  }

  void admitNamespace(String ns, NamespaceConfig config) {
    long wait = rates.tryAcquire("ns:" + ns, config.rateLimitPerS(), config.rateBurst());
    if (wait > 0) {
      throw rateLimited("namespace '" + ns + "' is over its rate_limit_per_s (" + config.rateLimitPerS()
          + " requests/s)", wait);
    }
  }

  /** The namespace's config, or the defaults a first store would give it. */
  NamespaceConfig configOrDefaults(String ns) {
    return cache.namespaceExists(ns) ? cache.namespaceConfig(ns) : cache.namespaceDefaults();
  }

  /**
   * Runs a call that may embed within the key's and the namespace's {@code max_concurrent_embeddings};
   * one more is answered 429 at once.
   */
  <T> CompletableFuture<T> embedding(Principal who, String ns, NamespaceConfig config,
      Supplier<CompletableFuture<T>> call) {
    String key = "key:" + who.name();
    String space = "ns:" + ns;
    if (!embeddings.tryAcquire(key, who.maxEmbeddings())) {
      throw tooManyEmbeddings("key '" + who.name() + "' has " + who.maxEmbeddings()
          + " requests that may embed in progress, its max_concurrent_embeddings");
    }
    if (!embeddings.tryAcquire(space, config.maxConcurrentEmbeddings())) {
      embeddings.release(key);
      throw tooManyEmbeddings("namespace '" + ns + "' has " + config.maxConcurrentEmbeddings()
          + " requests that may embed in progress, its max_concurrent_embeddings");
    }
    CompletableFuture<T> f = Answers.guard(call);
    return f.whenComplete((r, t) -> {
      embeddings.release(space);
      embeddings.release(key);
    });
  }

  private static ApiException rateLimited(String why, long waitNanos) {
    long s = Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
    return new ApiException(HttpResponseStatus.TOO_MANY_REQUESTS, "rate_limited", why + "; retry after " + s + " s",
        Map.of("Retry-After", Long.toString(s)));
  }

  private static ApiException tooManyEmbeddings(String why) {
    return new ApiException(HttpResponseStatus.TOO_MANY_REQUESTS, "too_many_embeddings", why + "; retry after 1 s",
        Map.of("Retry-After", "1"));
  }
}
