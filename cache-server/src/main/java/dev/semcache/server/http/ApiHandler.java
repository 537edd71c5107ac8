package dev.semcache.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a connection: takes whole requests, hands them to the {@link Dispatcher} and
 * writes the answers. Requests on one connection are answered one at a time and in order (HTTP/1.1
 * pipelining included): while one is being worked on, the next wait here and the connection stops
 * reading, so a client that sends faster than it is answered is slowed by TCP, not buffered without
 * bound. Likewise a client that does not read its answers: while the channel is not writable (more
 * than the write buffer's high-water mark is waiting to go out), nothing more is read or started. All state is touched only on the connection's event loop.
 */
final class ApiHandler extends ChannelInboundHandlerAdapter {
  private static final Logger LOG = LoggerFactory.getLogger(ApiHandler.class);
  /** Pipelined requests held per connection; one more is answered 429 and the connection closed. */
  static final int MAX_PIPELINED = 16;

  private final Dispatcher dispatcher;
  private final ServerMetrics metrics;
  private final RequestDeadline deadline;
  private final ArrayDeque<FullHttpRequest> waiting = new ArrayDeque<>();
  private boolean busy;
  private boolean closing;
  /** More requests arrived ahead of their answers than {@link #MAX_PIPELINED}: answer 429 after the queue. */
  private boolean overflowed;
  /** The last answer is still waiting to be written out: nothing more is read or started until it is. */
  private boolean pausedForWrites;
  /** The body of a streamed answer being written, or null. */
  private ChannelSink streaming;

  ApiHandler(Dispatcher dispatcher, ServerMetrics metrics, RequestDeadline deadline) {
    this.dispatcher = dispatcher;
    this.metrics = metrics;
    this.deadline = deadline;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof FullHttpRequest req)) {
      ReferenceCountUtil.release(msg);
      return;
    }
    deadline.disarm();
    if (closing) {
      req.release();
      return;
    }
    if (!busy && !pausedForWrites) {
      start(ctx, req);
    } else if (waiting.size() < MAX_PIPELINED && !overflowed) {
      waiting.add(req);
      ctx.channel().config().setAutoRead(false);
    } else {
      // Answered in order: the queued requests first, then 429 for this one, then the connection closes.
      req.release();
      overflowed = true;
    }
  }

  private void start(ChannelHandlerContext ctx, FullHttpRequest req) {
    busy = true;
    if (req.decoderResult().isFailure()) {
      Throwable cause = req.decoderResult().cause();
      req.release();
      closing = true;
      respond(ctx, "unmatched", Dispatcher.error(badFraming(cause)), false, System.nanoTime());
      return;
    }
    HttpCall call;
    try {
      call = HttpCall.of(req);
    } finally {
      req.release();
    }
    dispatcher.dispatch(call, answer -> {
      if (ctx.executor().inEventLoop()) {
        respond(ctx, answer.route(), answer.response(), call.keepAlive(), call.startNanos());
      } else {
        ctx.executor().execute(() -> respond(ctx, answer.route(), answer.response(), call.keepAlive(), call.startNanos()));
      }
    });
  }

  private static ApiException badFraming(Throwable cause) {
    if (cause instanceof TooLongHttpLineException) {
      return new ApiException(HttpResponseStatus.REQUEST_URI_TOO_LONG, "uri_too_long", "the request line is too long");
    }
    if (cause instanceof TooLongHttpHeaderException) {
      return new ApiException(HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large",
          "the request headers are too large");
    }
    if (cause instanceof TooLongFrameException) {
      return new ApiException(HttpResponseStatus.BAD_REQUEST, "bad_request", "a part of the request is too long");
    }
    return new ApiException(HttpResponseStatus.BAD_REQUEST, "bad_request",
        "the request is not valid HTTP/1.1: " + (cause == null ? "unknown reason" : cause.getMessage()));
  }

  private void respond(ChannelHandlerContext ctx, String route, ApiResponse r, boolean keepAlive, long startNanos) {
    if (r.stream() != null) {
      respondStreamed(ctx, route, r, keepAlive, startNanos);
      return;
    }
    boolean keep = keepAlive && !closing && ctx.channel().isActive();
    FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status(), Unpooled.wrappedBuffer(r.body()));
    if (r.contentType() != null) {
      res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    }
    res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    r.headers().forEach((k, v) -> res.headers().set(k, v));
    res.headers().set(HttpHeaderNames.CONNECTION, keep ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    metrics.request(route, r.status().code(), startNanos > 0 ? System.nanoTime() - startNanos : -1);
    answered(ctx, ctx.writeAndFlush(res), keep);
  }

  /**
   * Writes the head of a streamed answer (chunked), then lets its body write itself through a {@link
   * ChannelSink}; the next pipelined request starts when the body has ended.
   */
  private void respondStreamed(ChannelHandlerContext ctx, String route, ApiResponse r, boolean keepAlive, long startNanos) {
    boolean keep = keepAlive && !closing && ctx.channel().isActive();
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, r.status());
    if (r.contentType() != null) {
      head.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    }
    r.headers().forEach((k, v) -> head.headers().set(k, v));
    HttpUtil.setTransferEncodingChunked(head, true);
    head.headers().set(HttpHeaderNames.CONNECTION, keep ? HttpHeaderValues.KEEP_ALIVE : HttpHeaderValues.CLOSE);
    metrics.request(route, r.status().code(), startNanos > 0 ? System.nanoTime() - startNanos : -1);
    ctx.writeAndFlush(head);
    ChannelSink sink = new ChannelSink(ctx, () -> {
      streaming = null;
      answered(ctx, ctx.newSucceededFuture(), keep);
    });
    streaming = sink;
    r.stream().start(sink);
  }

  /** After an answer was written: close, or start the next request. */
  private void answered(ChannelHandlerContext ctx, io.netty.channel.ChannelFuture written, boolean keep) {
    if (!keep) {
      closing = true;
      written.addListener(ChannelFutureListener.CLOSE);
      return;
    }
    busy = false;
    if (!ctx.channel().isWritable()) {
      // The client is not reading its answers: take nothing more from it until they drain, or a client
      // that pipelines small requests for large answers would grow the outbound buffer without bound.
      ctx.channel().config().setAutoRead(false);
      pausedForWrites = true;
      return;
    }
    next(ctx);
  }

  /** Starts the next waiting request, or answers the overflow, or reads on. */
  private void next(ChannelHandlerContext ctx) {
    FullHttpRequest next = waiting.poll();
    if (next != null) {
      start(ctx, next);
    } else if (overflowed) {
      closing = true;
      respond(ctx, "unmatched", Dispatcher.error(new ApiException(HttpResponseStatus.TOO_MANY_REQUESTS,
          "too_many_pipelined", "more than " + MAX_PIPELINED + " requests were sent ahead of their answers on one"
          + " connection; the ones after that were not read", Map.of("Retry-After", "1"))), false, 0);
    } else {
      ctx.channel().config().setAutoRead(true);
    }
  }

  /** Answers a request that never arrived whole in time, and closes. */
  void timedOut(ChannelHandlerContext ctx) {
    if (busy || closing) {
      return;
    }
    closing = true;
    respond(ctx, "unmatched", Dispatcher.error(new ApiException(HttpResponseStatus.REQUEST_TIMEOUT, "request_timeout",
        "the request did not arrive whole in time")), false, 0);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && !busy) {
      ctx.close();
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (streaming != null) {
      streaming.writabilityChanged();
    } else if (pausedForWrites && ctx.channel().isWritable() && !busy && !closing) {
      pausedForWrites = false;
      next(ctx);
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    FullHttpRequest r;
    while ((r = waiting.poll()) != null) {
      r.release();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (cause instanceof io.netty.handler.codec.DecoderException && busy && !closing) {
      // The decoder gave up on bytes sent ahead (a pipelining flood beyond Netty's own depth limit, or
      // garbage after good requests): answer what was read, in order, then 429 and close.
      LOG.debug("connection {}: undecodable input after pipelined requests ({})", ctx.channel().remoteAddress(),
          cause.getMessage());
      overflowed = true;
      ctx.channel().config().setAutoRead(false);
      return;
    }
    LOG.debug("connection {} failed; closing it", ctx.channel().remoteAddress(), cause);
    ctx.close();
  }
}
