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
 * @param shareLingerMs 0: workers serve namespaces in turn and never idle while a prompt waits; positive
 *     (the default): a namespace also holds at most its share of the workers while others are active,
 *     and a namespace stays active this long after its last prompt, so that a steady trickle finds a
 *     worker free beside a namespace that floods the model (docs/reliability.md)
 */
public record EmbeddingConfig(
    @JsonProperty("workers") int workers,
    @JsonProperty("queue") int queue,
    @JsonProperty("max_wait_ms") long maxWaitMs,
    @JsonProperty("share_linger_ms") long shareLingerMs) {

  @com.fasterxml.jackson.annotation.JsonCreator
  public EmbeddingConfig {
    HttpConfig.notNegative("embedding.workers", workers);
    HttpConfig.positive("embedding.queue", queue);
    HttpConfig.positive("embedding.max_wait_ms", maxWaitMs);
    HttpConfig.notNegative("embedding.share_linger_ms", shareLingerMs);
    if (shareLingerMs > 60_000) {
      throw new IllegalArgumentException("embedding.share_linger_ms must be at most 60000 (a minute); share_linger_ms="
          + shareLingerMs);
    }
  }

  /** The server's default bound on the expected wait: past it, a quick 503 beats a late answer. */
  public static final long DEFAULT_MAX_WAIT_MS = 5_000;

  /** How long a namespace counts as active after its last prompt, for the workers' shares. */
  public static final long DEFAULT_SHARE_LINGER_MS = 250;

  public EmbeddingConfig(int workers, int queue) {
    this(workers, queue, DEFAULT_MAX_WAIT_MS, DEFAULT_SHARE_LINGER_MS);
  }

  public static EmbeddingConfig defaults() {
    return new EmbeddingConfig(0, 256);
  }

  public ParallelOptions toOptions() {
    return new ParallelOptions(workers > 0 ? workers : Runtime.getRuntime().availableProcessors(), queue,
        java.time.Duration.ofMillis(maxWaitMs), java.time.Duration.ofMillis(shareLingerMs));
  }
}
