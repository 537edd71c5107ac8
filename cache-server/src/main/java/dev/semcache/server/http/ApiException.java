package dev.semcache.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * A request answered with an error: an HTTP status, a stable machine-readable code and a message for
 * people. Rendered as {@code {"error": {"code": ..., "message": ...}}}.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient HttpResponseStatus status;
  private final String code;
  private final transient Map<String, String> headers;

  ApiException(HttpResponseStatus status, String code, String message, Map<String, String> headers) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }

  ApiException(HttpResponseStatus status, String code, String message) {
    this(status, code, message, Map.of());
  }

  static ApiException badRequest(String code, String message) {
    return new ApiException(HttpResponseStatus.BAD_REQUEST, code, message);
  }

  static ApiException invalid(String message) {
    return badRequest("invalid_request", message);
  }

  /** The HTTP status of the answer. */
  public HttpResponseStatus status() {
    return status;
  }

  /** The stable machine-readable code, e.g. {@code invalid_request}. */
  public String code() {
    return code;
  }

  Map<String, String> headers() {
    return headers;
  }
}
