package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Limits of the HTTP server.
 *
 * @param maxBodyBytes largest request body; a larger one is answered 413
 * @param maxInFlight requests being worked on at once, all connections together; one more is answered
 *     503 with {@code Retry-After} instead of waiting in an unbounded queue
 * @param requestTimeoutS a request must arrive whole within this many seconds of its first byte
 *     (slow clients are answered 408 and disconnected)
 * @param idleTimeoutS a keep-alive connection with no request for this long is closed
 * @param ioThreads Netty event loops; 0 means one per core
 * @param workerThreads threads for store and index work; 0 means two per core
 * @param drainTimeoutS on shutdown, how long requests in progress may take to finish
 * @param retryAfterS the {@code Retry-After} sent with 503 answers
 */
public record HttpConfig(
    @JsonProperty("max_body_bytes") int maxBodyBytes,
    @JsonProperty("max_in_flight") int maxInFlight,
    @JsonProperty("request_timeout_s") int requestTimeoutS,
    @JsonProperty("idle_timeout_s") int idleTimeoutS,
    @JsonProperty("io_threads") int ioThreads,
    @JsonProperty("worker_threads") int workerThreads,
    @JsonProperty("drain_timeout_s") int drainTimeoutS,
    @JsonProperty("retry_after_s") int retryAfterS) {

  public HttpConfig {
    positive("http.max_body_bytes", maxBodyBytes);
    positive("http.max_in_flight", maxInFlight);
    positive("http.request_timeout_s", requestTimeoutS);
    positive("http.idle_timeout_s", idleTimeoutS);
    notNegative("http.io_threads", ioThreads);
    notNegative("http.worker_threads", workerThreads);
    notNegative("http.drain_timeout_s", drainTimeoutS);
    positive("http.retry_after_s", retryAfterS);
  }

  public static HttpConfig defaults() {
    return new HttpConfig(1 << 20, 512, 10, 60, 0, 0, 10, 1);
  }

  public int effectiveIoThreads() {
    return ioThreads > 0 ? ioThreads : Runtime.getRuntime().availableProcessors();
  }

  public int effectiveWorkerThreads() {
    return workerThreads > 0 ? workerThreads : 2 * Runtime.getRuntime().availableProcessors();
  }

  static void positive(String key, long v) {
    if (v <= 0) {
      throw new IllegalArgumentException(key + " must be positive; " + key + "=" + v);
    }
  }

  static void notNegative(String key, long v) {
    if (v < 0) {
      throw new IllegalArgumentException(key + " must not be negative; " + key + "=" + v);
    }
  }
}
