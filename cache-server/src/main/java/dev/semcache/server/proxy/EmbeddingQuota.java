package dev.semcache.server.proxy;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The caller's {@code max_concurrent_embeddings} (its key's and its namespace's), as the transport applies
 * it to the v1 calls: a call that may embed runs within it, or is refused at once with the transport's own
 * 429 exception, which the proxy lets through.
 */
public interface EmbeddingQuota {
  /** No limit: the call runs. */
  EmbeddingQuota NONE = new EmbeddingQuota() {
    @Override
    public <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> call) {
      return call.get();
    }
  };

  /** Runs {@code call} within the quota, which it holds until the call's future completes. */
  <T> CompletableFuture<T> run(Supplier<CompletableFuture<T>> call);
}
