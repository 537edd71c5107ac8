package dev.semcache.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;

/**
 * What a route answers, before it becomes a Netty response.
 *
 * @param status the HTTP status
 * @param contentType the body's media type, or null for no body
 * @param body the body's bytes
 * @param headers extra headers
 * @param stream writes the body after the head, chunked, as it becomes available (proxy mode's relayed
 *     streams); null for a body held whole in {@code body}
 */
record ApiResponse(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers,
    dev.semcache.server.proxy.ProxyReply.StreamBody stream) {
  ApiResponse(HttpResponseStatus status, String contentType, byte[] body, Map<String, String> headers) {
    this(status, contentType, body, headers, null);
  }

  static final String JSON = "application/json";
  private static final byte[] EMPTY = new byte[0];

  static ApiResponse json(HttpResponseStatus status, byte[] body) {
    return new ApiResponse(status, JSON, body, Map.of());
  }

  static ApiResponse noContent() {
    return new ApiResponse(HttpResponseStatus.NO_CONTENT, null, EMPTY, Map.of());
  }

  ApiResponse withHeader(String name, String value) {
    var h = new java.util.LinkedHashMap<>(headers);
    h.put(name, value);
    return new ApiResponse(status, contentType, body, Map.copyOf(h), stream);
  }
}
