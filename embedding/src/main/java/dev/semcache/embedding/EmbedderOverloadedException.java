package dev.semcache.embedding;

import java.util.concurrent.RejectedExecutionException;

/** The embedding queue is full: the caller should shed load (HTTP 503 with Retry-After), not wait. */
public final class EmbedderOverloadedException extends RejectedExecutionException {
  private static final long serialVersionUID = 1L;

  public EmbedderOverloadedException(String message) {
    super(message);
  }
}
