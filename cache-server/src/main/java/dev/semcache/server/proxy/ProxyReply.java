package dev.semcache.server.proxy;

import java.util.Map;

/** What proxy mode answers: a whole body, or a head whose body streams as the upstream sends it. */
public sealed interface ProxyReply {
  int status();

  /** Headers to send, content type included. */
  Map<String, String> headers();

  /**
   * An answer held whole.
   *
   * @param status the HTTP status
   * @param headers headers, content type included
   * @param body the body
   */
  record Whole(int status, Map<String, String> headers, byte[] body) implements ProxyReply {}

  /**
   * An answer whose body is written as it arrives, with chunked transfer encoding.
   *
   * @param status the HTTP status
   * @param headers headers, content type included
   * @param body writes the body once the head is sent
   */
  record Streamed(int status, Map<String, String> headers, StreamBody body) implements ProxyReply {}

  /** The body of a streamed answer. */
  interface StreamBody {
    /** Starts writing into {@code sink}; called once, after the head was sent. */
    void start(ResponseSink sink);
  }
}
