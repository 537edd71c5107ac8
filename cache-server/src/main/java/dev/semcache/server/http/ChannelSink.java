package dev.semcache.server.http;

import dev.semcache.server.proxy.ResponseSink;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * A streamed answer's body written to the caller's connection, chunk by chunk. Every action runs on
 * the connection's event loop. A chunk is flushed at once (time to first byte is the point of
 * streaming); the writer is told to go on at once while the channel is writable, and otherwise when
 * {@link ApiHandler} sees it become writable again ({@link #writabilityChanged}).
 */
final class ChannelSink implements ResponseSink {
  private final ChannelHandlerContext ctx;
  private final Runnable onEnd;
  private Runnable waiting;
  /** No more writes: the body ended, was cut off, or the connection closed. */
  private boolean done;
  /** The body ended or was cut off by the writer (a close after that is no news to listeners). */
  private boolean over;

  /** @param onEnd runs on the event loop after the body ended normally */
  ChannelSink(ChannelHandlerContext ctx, Runnable onEnd) {
    this.ctx = ctx;
    this.onEnd = onEnd;
  }

  @Override
  public void write(byte[] chunk, Runnable whenWritable) {
    onLoop(() -> {
      if (done) {
        return;
      }
      ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(chunk)));
      if (ctx.channel().isWritable()) {
        whenWritable.run();
      } else {
        waiting = whenWritable;
      }
    });
  }

  @Override
  public void end() {
    onLoop(() -> {
      if (done) {
        return;
      }
      done = true;
      over = true;
      ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
      onEnd.run();
    });
  }

  @Override
  public void abort() {
    onLoop(() -> {
      if (done) {
        return;
      }
      done = true;
      over = true;
      ctx.close();
    });
  }

  @Override
  public void onClose(Runnable onClose) {
    ctx.channel().closeFuture().addListener(f -> onLoop(() -> {
      if (!over) {
        done = true;
        onClose.run();
      }
    }));
  }

  /** Called by the handler on the event loop. */
  void writabilityChanged() {
    if (ctx.channel().isWritable() && waiting != null) {
      Runnable w = waiting;
      waiting = null;
      w.run();
    }
  }

  private void onLoop(Runnable r) {
    if (ctx.executor().inEventLoop()) {
      r.run();
    } else {
      ctx.executor().execute(r);
    }
  }
}
