package dev.semcache.index;

/**
 * The storage cannot answer now (a cluster that is unreachable, red, or refusing writes), as opposed to a
 * request it could answer but refuses. The server answers 503 with the message, which names the cause;
 * never a guess: a lookup that cannot reach its storage is not a miss.
 */
public final class StorageUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StorageUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }

  public StorageUnavailableException(String message) {
    super(message);
  }
}
