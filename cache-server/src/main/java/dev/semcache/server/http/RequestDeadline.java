package dev.semcache.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gives each request a deadline from its first byte to its last (slow-loris defence): the first bytes
 * of a request arm a timer, the whole request reaching {@link ApiHandler} disarms it, and if it fires
 * the client is answered 408 and disconnected. Sits first in the pipeline, on raw bytes.
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {
  private final long timeoutMillis;
  private ApiHandler api;
  private ScheduledFuture<?> timer;

  RequestDeadline(long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
  }

  void attach(ApiHandler api) {
    this.api = api;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (timer == null && msg instanceof ByteBuf b && b.isReadable()) {
      timer = ctx.executor().schedule(() -> {
        timer = null;
        api.timedOut(ctx.pipeline().context(api));
      }, timeoutMillis, TimeUnit.MILLISECONDS);
    }
    ctx.fireChannelRead(msg);
  }

  /** The request in progress arrived whole. */
  void disarm() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    disarm();
    ctx.fireChannelInactive();
  }
}
