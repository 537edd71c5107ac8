package dev.semcache.server.cache;

/**
 * A request the cache refuses because of what the caller sent. Carries a stable machine-readable code
 * (the HTTP layer maps it to a 4xx status) and a message that names the bad value.
 */
public final class CacheRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Machine-readable reasons, stable across versions. */
  public enum Code {
    INVALID_REQUEST,
    NOT_FOUND
  }

  private final Code code;

  public CacheRequestException(Code code, String message) {
    super(message);
    this.code = code;
  }

  public Code code() {
    return code;
  }
}
