package dev.semcache.server.http;

import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;

/**
 * One request, copied out of Netty's reference-counted buffers so that it can cross to a worker thread
 * and outlive the event loop's read.
 *
 * @param method the method
 * @param uri the request target as sent
 * @param headers the headers (not reference counted)
 * @param body the body's bytes
 * @param keepAlive whether the connection stays open after the answer
 * @param startNanos when the whole request had arrived
 */
record HttpCall(HttpMethod method, String uri, HttpHeaders headers, byte[] body, boolean keepAlive, long startNanos) {

  static HttpCall of(FullHttpRequest r) {
    return new HttpCall(r.method(), r.uri(), r.headers(), ByteBufUtil.getBytes(r.content()), HttpUtil.isKeepAlive(r),
        System.nanoTime());
  }

  String header(CharSequence name) {
    return headers.get(name);
  }

  String contentType() {
    return headers.get(HttpHeaderNames.CONTENT_TYPE);
  }
}
