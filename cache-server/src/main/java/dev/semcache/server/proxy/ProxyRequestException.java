package dev.semcache.server.proxy;

/** A proxied request that semcache refuses before calling the upstream; answered with a 4xx JSON error. */
final class ProxyRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final String code;

  ProxyRequestException(int status, String code, String message) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
  }

  static ProxyRequestException invalid(String message) {
    return new ProxyRequestException(400, "invalid_request", message);
  }

  int status() {
    return status;
  }

  String code() {
    return code;
  }
}
