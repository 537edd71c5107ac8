package dev.semcache.server.http;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The Netty side: event loops, the pipeline of every connection, binding and closing. Each connection's
 * pipeline is, in order: TLS (when configured), idle timeout, request deadline, HTTP/1.1 codec (request line 4 KiB, headers 16
 * KiB), body aggregation up to the limit, {@link ApiHandler}.
 */
final class HttpServer {
  static final int MAX_INITIAL_LINE = 4096;
  static final int MAX_HEADER_BYTES = 16 * 1024;

  private final EventLoopGroup boss;
  private final EventLoopGroup io;
  private final ChannelGroup connections = new DefaultChannelGroup("semcache-connections", GlobalEventExecutor.INSTANCE);
  private final Channel server;

  /** Binds {@code host:port} and starts accepting. */
  HttpServer(String host, int port, int ioThreads, int maxBodyBytes, int requestTimeoutS, int idleTimeoutS,
      Dispatcher dispatcher, ServerMetrics metrics, ConnectionLimiter limiter, TlsContext tls)
      throws InterruptedException {
    boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("semcache-accept"), NioIoHandler.newFactory());
    io = new MultiThreadIoEventLoopGroup(ioThreads, new DefaultThreadFactory("semcache-io"), NioIoHandler.newFactory());
    try {
      server = new ServerBootstrap()
          .group(boss, io)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 1024)
          // Runs on the accepting thread, before the connection is handed to an event loop: connections
          // are counted in the order they arrived.
          .handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
              if (msg instanceof Channel child) {
                limiter.accepted(child);
              }
              ctx.fireChannelRead(msg);
            }
          })
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              if (!limiter.admit(ch)) {
                return;
              }
              connections.add(ch);
              RequestDeadline deadline = new RequestDeadline(TimeUnit.SECONDS.toMillis(requestTimeoutS));
              ApiHandler api = new ApiHandler(dispatcher, metrics, deadline);
              deadline.attach(api);
              if (tls != null) {
                ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
              }
              ch.pipeline()
                  .addLast("idle", new IdleStateHandler(0, 0, idleTimeoutS, TimeUnit.SECONDS))
                  .addLast("deadline", deadline)
                  // No depth limit of Netty's own: ApiHandler bounds pipelining (16 ahead) and answers a
                  // flood in order with a final 429; Netty's limit would close without any answer.
                  .addLast("codec", new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(MAX_INITIAL_LINE)
                      .setMaxHeaderSize(MAX_HEADER_BYTES).setMaxChunkSize(8192), Integer.MAX_VALUE))
                  .addLast("body", new BodyLimit(maxBodyBytes, metrics))
                  .addLast("api", api);
            }
          })
          .bind(new InetSocketAddress(host, port)).sync().channel();
    } catch (RuntimeException | InterruptedException e) {
      boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      io.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Stops accepting connections; open ones go on. */
  void stopAccepting() {
    server.close().syncUninterruptibly();
  }

  /** Closes every connection and stops the event loops. */
  void close() {
    connections.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
    boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    io.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }
}
