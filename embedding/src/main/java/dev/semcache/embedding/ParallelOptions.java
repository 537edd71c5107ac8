package dev.semcache.embedding;

/**
 * Settings of the {@link ParallelEmbedder} front.
 *
 * @param workers inferences that run at once, each on one ONNX Runtime thread; the number of cores
 *     is right unless other work shares them
 * @param queueCapacity requests that may wait for a worker; one more is rejected with {@link
 *     EmbedderOverloadedException} instead of queueing without bound
 * @param maxWait the longest expected wait in the queue; a request that would wait longer is rejected at
 *     once
 */
public record ParallelOptions(int workers, int queueCapacity, java.time.Duration maxWait) {
  public static final java.time.Duration DEFAULT_MAX_WAIT = java.time.Duration.ofSeconds(5);

  /** One worker per available processor, 1,024 waiting requests. */
  public static ParallelOptions defaults() {
    return new ParallelOptions(Runtime.getRuntime().availableProcessors(), 1024);
  }

  /** With the default maximum wait. */
  public ParallelOptions(int workers, int queueCapacity) {
    this(workers, queueCapacity, DEFAULT_MAX_WAIT);
  }

  public ParallelOptions {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be positive; workers=" + workers);
    }
    if (queueCapacity < 1) {
      throw new IllegalArgumentException("queue capacity must be positive; queue_capacity=" + queueCapacity);
    }
    if (maxWait == null || maxWait.isNegative() || maxWait.isZero()) {
      throw new IllegalArgumentException("max wait must be positive; max_wait=" + maxWait);
    }
  }
}
