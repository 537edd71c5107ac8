package dev.semcache.index;

/** A stored value is not a complete value of a format this build reads. */
public final class CorruptEntryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public CorruptEntryException(String message) {
    super(message);
  }

  public CorruptEntryException(String message, Throwable cause) {
    super(message, cause);
  }
}
