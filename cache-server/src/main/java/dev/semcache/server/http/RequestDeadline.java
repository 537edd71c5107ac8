package dev.semcache.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gives each request a deadline from its first byte to its last (slow-loris defence): the first bytes
 * of a request arm the deadline, the whole request reaching {@link ApiHandler} disarms it, and if it
 * passes the client is answered 408 and disconnected. Sits first in the pipeline, on raw bytes.
 *
 * <p>The timer is lazy, as Netty's {@code IdleStateHandler} is: arming and disarming only note a time,
 * and one timer per connection, scheduled when a request is armed and none is pending, checks the time
 * when it fires and schedules itself again for what is left. A keep-alive connection answering thousands
 * of requests a second so schedules and cancels no task per request (the event loop's queue of timers
 * was one of the costs of an exact hit, bench/README.md).
 */
final class RequestDeadline extends ChannelInboundHandlerAdapter {
  private final long timeoutNanos;
  private ApiHandler api;
  private ScheduledFuture<?> timer;
  /** When the request in progress began to arrive, or -1 when none is. */
  private long armedAtNanos = -1;

  RequestDeadline(long timeoutMillis) {
    this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
  }

  void attach(ApiHandler api) {
    this.api = api;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (armedAtNanos < 0 && msg instanceof ByteBuf b && b.isReadable()) {
      armedAtNanos = System.nanoTime();
      if (timer == null) {
        schedule(ctx, timeoutNanos);
      }
    }
    ctx.fireChannelRead(msg);
  }

  private void schedule(ChannelHandlerContext ctx, long delayNanos) {
    timer = ctx.executor().schedule(() -> fire(ctx), delayNanos, TimeUnit.NANOSECONDS);
  }

  private void fire(ChannelHandlerContext ctx) {
    timer = null;
    if (armedAtNanos < 0 || !ctx.channel().isActive()) {
      return; // no request in progress: the next one schedules a timer again
    }
    long left = armedAtNanos + timeoutNanos - System.nanoTime();
    if (left > 0) {
      schedule(ctx, left);
      return;
    }
    armedAtNanos = -1;
    api.timedOut(ctx.pipeline().context(api));
  }

  /** The request in progress arrived whole. */
  void disarm() {
    armedAtNanos = -1;
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    armedAtNanos = -1;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    ctx.fireChannelInactive();
  }
}
