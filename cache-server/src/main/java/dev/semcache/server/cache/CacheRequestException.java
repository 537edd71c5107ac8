package dev.semcache.server.cache;

/**
 * A request the cache refuses because of what the caller sent. Carries a stable machine-readable code
 * (the HTTP layer maps it to a 4xx status) and a message that names the bad value.
 */
public final class CacheRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Machine-readable reasons, stable across versions; {@link #wire()} is what clients see. */
  public enum Code {
    /** A field is missing, has the wrong type or an invalid value. */
    INVALID_REQUEST,
    /** No live entry with that id in that namespace. */
    ENTRY_NOT_FOUND,
    /** The namespace does not exist and this server does not create namespaces on first use. */
    NAMESPACE_NOT_FOUND,
    /** The prompt is longer than the model reads and the namespace rejects such prompts. */
    PROMPT_TOO_LONG,
    /** The response is an error response of the model and must not be cached. */
    UNCACHEABLE_RESPONSE,
    /** No lookup with that id in that namespace is remembered (never was, or another namespace's). */
    LOOKUP_NOT_FOUND,
    /** The lookup is older than the audit window, or from before the server restarted. */
    LOOKUP_EXPIRED,
    /** The lookup was not sampled for audit (its answer said audit: false). */
    NOT_SAMPLED,
    /** The lookup already has its audit verdict (or its feedback). */
    ALREADY_AUDITED,
    /** Feedback names a lookup that missed: nothing was served to be wrong. */
    NOT_A_HIT,
    /** A caller that may only read asked for a threshold below the namespace's. */
    THRESHOLD_NOT_ALLOWED;

    public String wire() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private final Code code;

  public CacheRequestException(Code code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  public Code code() {
    return code;
  }

  public static CacheRequestException invalid(String message) {
    return new CacheRequestException(Code.INVALID_REQUEST, message);
  }
}
