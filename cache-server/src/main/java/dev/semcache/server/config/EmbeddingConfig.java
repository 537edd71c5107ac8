package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.semcache.embedding.ParallelOptions;

/**
 * The embedding front.
 *
 * @param workers inferences that run at once; 0 means one per core
 * @param queue prompts that may wait for a worker; one more is answered 503 with {@code Retry-After}
 *     (when the queue is full, a namespace holding more of it than another gives way)
 * @param maxWaitMs a prompt whose expected wait in the queue is longer than this is answered 503 with
 *     {@code Retry-After} at once, instead of a late answer
 */
public record EmbeddingConfig(
    @JsonProperty("workers") int workers,
    @JsonProperty("queue") int queue,
    @JsonProperty("max_wait_ms") long maxWaitMs) {

  @com.fasterxml.jackson.annotation.JsonCreator
  public EmbeddingConfig {
    HttpConfig.notNegative("embedding.workers", workers);
    HttpConfig.positive("embedding.queue", queue);
    HttpConfig.positive("embedding.max_wait_ms", maxWaitMs);
  }

  public EmbeddingConfig(int workers, int queue) {
    this(workers, queue, ParallelOptions.DEFAULT_MAX_WAIT.toMillis());
  }

  public static EmbeddingConfig defaults() {
    return new EmbeddingConfig(0, 256);
  }

  public ParallelOptions toOptions() {
    return new ParallelOptions(workers > 0 ? workers : Runtime.getRuntime().availableProcessors(), queue,
        java.time.Duration.ofMillis(maxWaitMs));
  }
}
