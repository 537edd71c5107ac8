package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.semcache.embedding.ParallelOptions;

/**
 * The embedding front.
 *
 * @param workers inferences that run at once; 0 means one per core
 * @param queue prompts that may wait for a worker; one more is answered 503 with {@code Retry-After}
 */
public record EmbeddingConfig(
    @JsonProperty("workers") int workers,
    @JsonProperty("queue") int queue) {

  public EmbeddingConfig {
    HttpConfig.notNegative("embedding.workers", workers);
    HttpConfig.positive("embedding.queue", queue);
  }

  public static EmbeddingConfig defaults() {
    return new EmbeddingConfig(0, 256);
  }

  public ParallelOptions toOptions() {
    return new ParallelOptions(workers > 0 ? workers : Runtime.getRuntime().availableProcessors(), queue);
  }
}
