package dev.semcache.embedding;

/**
 * How long a new request would wait in the embedding queue: the texts served before it, times the time one
 * text holds a worker, over the workers.
 *
 * <p>The time per text is learnt two ways, and the larger one is used. One is the inference time, an
 * exponentially weighted average of {@link #inferred}. It alone was too low under overload (issue 14: 10.9 s
 * answers under a 5 s bound): an inference measures only the model call, while the queue drains more
 * slowly than inferences alone explain when the cores are shared with hundreds of connections, a garbage
 * collection or the request's other stages, and the average lags when the load rises. So the other is the
 * drain time actually observed: when a request leaves the queue, the time it waited, over the texts that
 * were ahead of it, times the workers ({@link #waited}). That is the per-text service time the queue really
 * had, everything included, and it rises as soon as requests start to wait longer than predicted.
 *
 * <p>Both averages weigh a new observation 1/8 ({@link #WEIGHT}). Updates are racy (volatile fields, no
 * lock); for an estimate that is fine.
 */
final class QueueWaitEstimate {
  /** The weight of a new observation in both averages. */
  static final double WEIGHT = 1.0 / 8;

  private final int workers;
  private volatile double inferenceNanos;
  private volatile double drainNanos;

  /**
   * @param workers inferences that run at once
   * @param initialNanos the time per text assumed before any was measured
   */
  QueueWaitEstimate(int workers, long initialNanos) {
    if (workers < 1) {
      throw new IllegalArgumentException("workers must be positive; workers=" + workers);
    }
    this.workers = workers;
    this.inferenceNanos = initialNanos;
    this.drainNanos = 0;
  }

  /** The expected wait of a request with {@code ahead} texts to be served before it (itself included). */
  long waitNanos(long ahead) {
    return (long) (ahead * perTextNanos() / workers);
  }

  /** The time per text the estimate uses now: the larger of the inference and the drain averages. */
  double perTextNanos() {
    return Math.max(inferenceNanos, drainNanos);
  }

  /** One inference on a shared (narrow) session took {@code nanos}. */
  void inferred(long nanos) {
    inferenceNanos += WEIGHT * (nanos - inferenceNanos);
  }

  /**
   * A request left the queue after {@code waitedNanos}, with {@code ahead} texts counted ahead of it when it
   * came (itself included). A request that found an idle worker ({@code ahead} 0) shows no backlog: the
   * drain average then moves toward the inference average, so that a slow spell in the past does not keep
   * refusing requests once it is over (refused requests teach nothing).
   */
  void waited(long ahead, long waitedNanos) {
    double perText = ahead > 0 ? (double) waitedNanos * workers / ahead : inferenceNanos;
    drainNanos += WEIGHT * (perText - drainNanos);
  }
}
