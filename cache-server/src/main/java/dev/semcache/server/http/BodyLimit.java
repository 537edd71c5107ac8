package dev.semcache.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * Netty's aggregator with the API's 413: a body over the limit (announced by {@code Content-Length}
 * or found while reading a chunked body) is answered with a JSON error and the connection is closed,
 * since the rest of the body would otherwise have to be read and thrown away.
 */
final class BodyLimit extends HttpObjectAggregator {
  private final int maxBytes;
  private final ServerMetrics metrics;

  BodyLimit(int maxBytes, ServerMetrics metrics) {
    super(maxBytes);
    this.maxBytes = maxBytes;
    this.metrics = metrics;
  }

  @Override
  protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
    ctx.writeAndFlush(tooLarge()).addListener(ChannelFutureListener.CLOSE);
  }

  /** {@code Expect: 100-continue} with a too large {@code Content-Length}: the same JSON 413, not Netty's empty one. */
  @Override
  protected Object newContinueResponse(HttpMessage start, int maxContentLength, io.netty.channel.ChannelPipeline pipeline) {
    Object r = super.newContinueResponse(start, maxContentLength, pipeline);
    if (r instanceof FullHttpResponse netty && netty.status().code() == 413) {
      netty.release();
      return tooLarge();
    }
    return r;
  }

  /** Netty closes after a 413 continue response only if it says so; it always does. */
  @Override
  protected boolean closeAfterContinueResponse(Object msg) {
    return msg instanceof FullHttpResponse r && r.status().code() == 413 || super.closeAfterContinueResponse(msg);
  }

  private FullHttpResponse tooLarge() {
    ApiResponse r = Dispatcher.error(new ApiException(HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
        "the request body is larger than " + maxBytes + " bytes (http.max_body_bytes)"));
    metrics.request("unmatched", 413, -1);
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), Unpooled.wrappedBuffer(r.body()));
    res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    return res;
  }
}
