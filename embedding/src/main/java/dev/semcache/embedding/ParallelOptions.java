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
 * @param shareLinger zero: workers serve tenants in turn and never idle while anything waits; positive:
 *     each active tenant also holds at most its share of the workers (workers / active tenants, at least
 *     one), and a tenant stays active this long after its last text, so that a steady trickle finds a
 *     worker free beside a flood (see {@link FairQueue})
 */
public record ParallelOptions(int workers, int queueCapacity, java.time.Duration maxWait,
    java.time.Duration shareLinger) {
  /**
   * No shedding by expected wait: what in-process callers get by default (bulk embedding, tests). The
   * server sets its own bound ({@code embedding.max_wait_ms}).
   */
  public static final java.time.Duration NO_MAX_WAIT = java.time.Duration.ofDays(365);

  /** One worker per available processor, 1,024 waiting requests. */
  public static ParallelOptions defaults() {
    return new ParallelOptions(Runtime.getRuntime().availableProcessors(), 1024);
  }

  /** Without a maximum wait. */
  public ParallelOptions(int workers, int queueCapacity) {
    this(workers, queueCapacity, NO_MAX_WAIT);
  }

  /** Without shares of the workers (turns only). */
  public ParallelOptions(int workers, int queueCapacity, java.time.Duration maxWait) {
    this(workers, queueCapacity, maxWait, java.time.Duration.ZERO);
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
    if (shareLinger == null || shareLinger.isNegative()) {
      throw new IllegalArgumentException("share linger must not be negative; share_linger=" + shareLinger);
    }
  }
}
