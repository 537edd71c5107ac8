package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * An OpenAI-compatible upstream for {@code bench proxy}: Netty on 127.0.0.1, never blocking its event
 * loop. {@code POST /v1/chat/completions} answers after {@code latencyMs} (whole), or, with {@code
 * stream: true}, sends its head and first chunk after {@code latencyMs} and then one chunk every {@code
 * chunkMs}, ending in {@code data: [DONE]}. The answer's text is a function of the last message, so
 * answers differ per prompt. (The tests' fake upstream, which also errors and breaks connections on
 * demand, lives in cache-server's tests.)
 */
final class UpstreamStub implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  static final int CHUNKS = 10;

  private final EventLoopGroup group;
  private final Channel server;
  private volatile int latencyMs;
  private final int chunkMs;

  UpstreamStub(int latencyMs, int chunkMs) throws InterruptedException {
    this.latencyMs = latencyMs;
    this.chunkMs = chunkMs;
    group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("upstream-stub"), NioIoHandler.newFactory());
    server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            ch.pipeline().addLast(new HttpServerCodec()).addLast(new HttpObjectAggregator(1 << 20)).addLast(new Answer());
          }
        })
        .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
  }

  String baseUrl() {
    return "http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort() + "/v1";
  }

  void latencyMs(int ms) {
    latencyMs = ms;
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
  }

  @ChannelHandler.Sharable
  private final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws IOException {
      JsonNode body = JSON.readTree(ByteBufUtil.getBytes(req.content()));
      JsonNode messages = body.path("messages");
      String last = messages.path(messages.size() - 1).path("content").asText();
      String model = body.path("model").asText();
      String text = "The answer to '" + last + "' is forty-two, as measured by the stub upstream today.";
      if (!body.path("stream").asBoolean(false)) {
        String json = "{\"id\":\"chatcmpl-stub\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":"
            + JSON.writeValueAsString(model) + ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":"
            + JSON.writeValueAsString(text) + "},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":9,"
            + "\"completion_tokens\":12,\"total_tokens\":21}}";
        ctx.executor().schedule(() -> {
          var res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
              Unpooled.copiedBuffer(json, StandardCharsets.UTF_8));
          res.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
          HttpUtil.setContentLength(res, res.content().readableBytes());
          ctx.writeAndFlush(res);
        }, latencyMs, TimeUnit.MILLISECONDS);
        return;
      }
      String[] words = text.split("(?<= )");
      int per = Math.max(1, words.length / (CHUNKS - 1));
      ctx.executor().schedule(() -> {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream");
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head);
        send(ctx, model, "{\"role\":\"assistant\",\"content\":\"\"}", null);
        ctx.flush();
        for (int i = 0, n = 1; i < words.length; i += per, n++) {
          String piece = String.join("", java.util.Arrays.copyOfRange(words, i, Math.min(words.length, i + per)));
          boolean end = i + per >= words.length;
          ctx.executor().schedule(() -> {
            try {
              send(ctx, model, "{\"content\":" + JSON.writeValueAsString(piece) + "}", null);
              if (end) {
                send(ctx, model, "{}", "stop");
                ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer("data: [DONE]\n\n", StandardCharsets.US_ASCII)));
                ctx.write(LastHttpContent.EMPTY_LAST_CONTENT);
              }
              ctx.flush();
            } catch (IOException e) {
              ctx.close();
            }
          }, (long) n * chunkMs, TimeUnit.MILLISECONDS);
        }
      }, latencyMs, TimeUnit.MILLISECONDS);
    }

    private void send(ChannelHandlerContext ctx, String model, String delta, String finish) {
      String chunk = "data: {\"id\":\"chatcmpl-stub\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,"
          + "\"model\":\"" + model + "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
          + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
      ctx.write(new DefaultHttpContent(Unpooled.copiedBuffer(chunk, StandardCharsets.UTF_8)));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
