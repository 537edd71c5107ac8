package dev.semcache.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.AttributeKey;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Caps open connections, all clients together and per client address, so that one client cannot take
 * every file descriptor and every connection's buffers. A connection beyond a cap gets a 503 with {@code
 * Retry-After} (written as raw bytes: no codec is set up for it) and is closed before anything it sends is
 * read.
 */
final class ConnectionLimiter {
  private final int max;
  private final int perAddress;
  private final int retryAfterS;
  private final AtomicInteger open = new AtomicInteger();
  private final ConcurrentHashMap<InetAddress, AtomicInteger> byAddress = new ConcurrentHashMap<>();
  private final AtomicLong refused = new AtomicLong();
  private static final AttributeKey<String> REFUSAL = AttributeKey.valueOf("semcache.refusal");

  ConnectionLimiter(int max, int perAddress, int retryAfterS) {
    this.max = max;
    this.perAddress = perAddress;
    this.retryAfterS = retryAfterS;
  }

  /**
   * Counts a connection the moment it is accepted, on the accepting thread, so that connections are
   * admitted strictly in the order they arrived (counting later, on the event loop each connection is given
   * to, let a newer connection take the place of an older one). A connection beyond a cap is marked; {@link
   * #admit} refuses it once it is registered. An admitted one is released when it closes.
   */
  void accepted(Channel ch) {
    InetAddress address = ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
    String why = null;
    if (open.incrementAndGet() > max) {
      why = "this server has " + max + " connections open, the most it takes (limits.max_connections)";
    } else if (address != null && byAddress.computeIfAbsent(address, k -> new AtomicInteger()).incrementAndGet() > perAddress) {
      why = "this client address has " + perAddress + " connections open, the most one address may"
          + " (limits.max_connections_per_address)";
      release(address);
    }
    if (why != null) {
      open.decrementAndGet();
      refused.incrementAndGet();
      ch.attr(REFUSAL).set(why);
      return;
    }
    ch.closeFuture().addListener(f -> {
      open.decrementAndGet();
      if (address != null) {
        release(address);
      }
    });
  }

  /**
   * Called once the connection is registered with its event loop: answers 503 and closes a connection
   * {@link #accepted} marked as beyond a cap.
   *
   * @return whether it was admitted
   */
  boolean admit(Channel ch) {
    String why = ch.attr(REFUSAL).get();
    if (why == null) {
      return true;
    }
    ch.config().setAutoRead(false);
    ch.writeAndFlush(refusal(why)).addListener(ChannelFutureListener.CLOSE);
    return false;
  }

  private void release(InetAddress address) {
    byAddress.computeIfPresent(address, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  int open() {
    return open.get();
  }

  long refused() {
    return refused.get();
  }

  private ByteBuf refusal(String why) {
    byte[] body = ("{\"error\":{\"code\":\"too_many_connections\",\"message\":\"" + why + "; retry after " + retryAfterS
        + " s\"}}").getBytes(StandardCharsets.UTF_8);
    byte[] head = ("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: " + retryAfterS
        + "\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    return Unpooled.wrappedBuffer(head, body);
  }
}
