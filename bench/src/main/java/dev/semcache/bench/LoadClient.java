package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * A closed-loop HTTP/1.1 load client on Netty: one keep-alive connection per simulated client, each
 * sending its next request as soon as the answer to the previous one has arrived (so the offered load
 * is what the server can answer; no coordinated-omission correction applies). Latency is measured per
 * request from just before the write to the whole aggregated answer, into one HdrHistogram per
 * connection (touched only on its event loop), merged at the end.
 *
 * <p>A timed run has a warm-up, whose answers are not counted, then a measurement window: an answer
 * counts if it arrives inside the window. When the window ends no connection sends again; answers still
 * outstanding are waited for (up to {@link #GRACE_NANOS}) and not counted. A finite run (no window)
 * sends until its {@link Source} runs dry and counts everything.
 */
final class LoadClient implements AutoCloseable {
  static final String HOST = "127.0.0.1";
  private static final long MAX_LATENCY_NANOS = TimeUnit.MINUTES.toNanos(2);
  private static final long GRACE_NANOS = TimeUnit.SECONDS.toNanos(30);
  /** A run in which nothing at all is answered for this long is given up. */
  private static final long STALL_NANOS = TimeUnit.SECONDS.toNanos(60);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One request: a POST of a JSON body; {@code expectedMatch}, if set, is the prompt a semantic hit should match. */
  record Req(String path, byte[] body, String expectedMatch) {}

  /** Where requests come from; called from every event loop at once. Null means no more. */
  interface Source {
    Req next();
  }

  /**
   * What one run measured. {@code ok} and the histogram cover 2xx answers inside the window; every
   * answer inside the window is in {@code statuses} and {@code cacheStatus} (header X-Cache-Status, "-"
   * when absent); {@code ioErrors} are requests lost to a failed connection, {@code unanswered} those
   * still outstanding when the run was given up.
   */
  record Result(String label, int connections, double seconds, long ok, Histogram latencyNanos,
      Map<Integer, Long> statuses, Map<String, Long> cacheStatus, long ioErrors, long unanswered,
      long semanticChecked, long semanticOnSource) {

    long non2xx() {
      return statuses.entrySet().stream().filter(e -> e.getKey() / 100 != 2).mapToLong(Map.Entry::getValue).sum();
    }

    long errors() {
      return non2xx() + ioErrors + unanswered;
    }

    double perSecond() {
      return seconds > 0 ? ok / seconds : 0;
    }

    /** Fraction of answers inside the window whose X-Cache-Status is {@code header}. */
    double fraction(String header) {
      long all = cacheStatus.values().stream().mapToLong(Long::longValue).sum();
      return all == 0 ? 0 : cacheStatus.getOrDefault(header, 0L) / (double) all;
    }

    double ms(double percentile) {
      return latencyNanos.getTotalCount() == 0 ? 0 : latencyNanos.getValueAtPercentile(percentile) / 1e6;
    }

    double maxMs() {
      return latencyNanos.getTotalCount() == 0 ? 0 : latencyNanos.getMaxValue() / 1e6;
    }
  }

  private final EventLoopGroup group;

  LoadClient(int threads) {
    group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory("load-client"), NioIoHandler.newFactory());
  }

  /** A timed run: {@code connections} closed loops for a warm-up, then a measured window. */
  Result timed(String label, int port, int connections, Source source, double warmupS, double durationS) {
    long start = System.nanoTime();
    long measureStart = start + (long) (warmupS * 1e9);
    return run(label, port, connections, source, start, measureStart, measureStart + (long) (durationS * 1e9));
  }

  /** A finite run: until {@code source} runs dry, everything counted. */
  Result finite(String label, int port, int connections, Source source) {
    long start = System.nanoTime();
    return run(label, port, connections, source, start, start, Long.MAX_VALUE);
  }

  private Result run(String label, int port, int connections, Source source, long start, long measureStart,
      long measureEnd) {
    Run run = new Run(label, port, connections, source, measureStart, measureEnd);
    List<Conn> conns = new ArrayList<>(connections);
    for (int i = 0; i < connections; i++) {
      Conn c = new Conn(run, group.next());
      conns.add(c);
      c.loop.execute(c::connect);
    }
    boolean timed = measureEnd != Long.MAX_VALUE;
    long lastCount = 0;
    long lastReport = start;
    long lastProgress = start;
    boolean aborted = false;
    try {
      while (!run.done.await(1, TimeUnit.SECONDS)) {
        long now = System.nanoTime();
        long count = run.answered.sum();
        if (count != lastCount) {
          lastProgress = now;
        }
        double rate = (count - lastCount) / ((now - lastReport) / 1e9);
        String phase = !timed ? String.format("%.0f s", (now - start) / 1e9)
            : now < measureStart ? String.format("warm-up %.0f/%.0f s", (now - start) / 1e9, (measureStart - start) / 1e9)
            : now < measureEnd ? String.format("%.0f/%.0f s", (now - measureStart) / 1e9, (measureEnd - measureStart) / 1e9)
            : "finishing";
        System.err.printf("  [%s c=%d] %s: %d answers, %.0f/s now, %d errors%n", label, connections, phase, count,
            rate, run.errors.sum());
        lastCount = count;
        lastReport = now;
        boolean late = timed && now > measureEnd + GRACE_NANOS;
        boolean stalled = now - lastProgress > STALL_NANOS;
        if (!aborted && (late || stalled)) {
          System.err.printf("  [%s c=%d] %s; giving up on the answers outstanding%n", label, connections,
              late ? "answers still outstanding " + GRACE_NANOS / 1_000_000_000 + " s after the window" : "no answer for "
                  + STALL_NANOS / 1_000_000_000 + " s");
          aborted = true;
          for (Conn c : conns) {
            c.loop.execute(c::abort);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
    Histogram merged = new Histogram(MAX_LATENCY_NANOS, 3);
    Map<Integer, Long> statuses = new TreeMap<>();
    Map<String, Long> cache = new TreeMap<>();
    long ok = 0;
    long io = 0;
    long unanswered = 0;
    long checked = 0;
    long onSource = 0;
    long last = start;
    for (Conn c : conns) {
      Conn s = snapshot(c);
      merged.add(s.hist);
      s.statuses.forEach((k, v) -> statuses.merge(k, v, Long::sum));
      s.cache.forEach((k, v) -> cache.merge(k, v, Long::sum));
      ok += s.ok;
      io += s.ioErrors;
      unanswered += s.unanswered;
      checked += s.semanticChecked;
      onSource += s.semanticOnSource;
      last = Math.max(last, s.lastAnswer);
      if (s.channel != null) {
        s.channel.closeFuture().awaitUninterruptibly(2, TimeUnit.SECONDS);
      }
    }
    double seconds = timed ? (measureEnd - measureStart) / 1e9 : (last - start) / 1e9;
    return new Result(label, connections, seconds, ok, merged, statuses, cache, io, unanswered, checked, onSource);
  }

  /** Reads a connection's counters on its own event loop (they are written only there). */
  private static Conn snapshot(Conn c) {
    try {
      return c.loop.submit(() -> c).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause());
    }
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(10, TimeUnit.SECONDS);
  }

  private static final class Run {
    final String label;
    final int port;
    final String hostHeader;
    final Source source;
    final long measureStart;
    final long measureEnd;
    final CountDownLatch done;
    final LongAdder answered = new LongAdder();
    final LongAdder errors = new LongAdder();

    Run(String label, int port, int connections, Source source, long measureStart, long measureEnd) {
      this.label = label;
      this.port = port;
      this.hostHeader = HOST + ":" + port;
      this.source = source;
      this.measureStart = measureStart;
      this.measureEnd = measureEnd;
      this.done = new CountDownLatch(connections);
    }
  }

  /** One simulated client; every field is touched only on {@link #loop}. */
  private static final class Conn {
    final Run run;
    final EventLoop loop;
    final Histogram hist = new Histogram(MAX_LATENCY_NANOS, 3);
    final Map<Integer, Long> statuses = new TreeMap<>();
    final Map<String, Long> cache = new TreeMap<>();
    Channel channel;
    Req current;
    long sentAt;
    boolean finished;
    long ok;
    long ioErrors;
    long unanswered;
    long semanticChecked;
    long semanticOnSource;
    long lastAnswer;

    Conn(Run run, EventLoop loop) {
      this.run = run;
      this.loop = loop;
    }

    void connect() {
      if (finished) {
        return;
      }
      if (System.nanoTime() >= run.measureEnd) {
        finish();
        return;
      }
      Conn self = this;
      new Bootstrap()
          .group(loop)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline()
                  .addLast("codec", new HttpClientCodec())
                  .addLast("body", new HttpObjectAggregator(1 << 20))
                  .addLast("client", new Handler(self));
            }
          })
          .connect(HOST, run.port)
          .addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
              ioError();
              retryLater();
            }
          });
    }

    private void retryLater() {
      if (finished) {
        return;
      }
      if (System.nanoTime() >= run.measureEnd) {
        finish();
      } else {
        loop.schedule(this::connect, 50, TimeUnit.MILLISECONDS);
      }
    }

    private void ioError() {
      if (System.nanoTime() >= run.measureStart) {
        ioErrors++;
        run.errors.increment();
      }
    }

    void active(Channel ch) {
      if (finished) {
        ch.close();
        return;
      }
      channel = ch;
      sendNext();
    }

    void sendNext() {
      if (finished) {
        return;
      }
      if (System.nanoTime() >= run.measureEnd) {
        finish();
        return;
      }
      Req r = run.source.next();
      if (r == null) {
        finish();
        return;
      }
      DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, r.path(),
          Unpooled.wrappedBuffer(r.body()));
      req.headers()
          .set(HttpHeaderNames.HOST, run.hostHeader)
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
      current = r;
      sentAt = System.nanoTime();
      channel.writeAndFlush(req).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    }

    void answer(FullHttpResponse res) {
      long now = System.nanoTime();
      Req r = current;
      if (finished || r == null) {
        return;
      }
      current = null;
      run.answered.increment();
      if (now >= run.measureStart && now < run.measureEnd) {
        int code = res.status().code();
        statuses.merge(code, 1L, Long::sum);
        String cs = res.headers().get("X-Cache-Status");
        cache.merge(cs == null ? "-" : cs, 1L, Long::sum);
        if (code / 100 == 2) {
          ok++;
          hist.recordValue(Math.min(now - sentAt, MAX_LATENCY_NANOS));
          lastAnswer = now;
          if (r.expectedMatch() != null && "HIT-SEMANTIC".equals(cs)) {
            semanticChecked++;
            if (r.expectedMatch().equals(matchedPrompt(res))) {
              semanticOnSource++;
            }
          }
        } else {
          run.errors.increment();
        }
      }
      if (HttpUtil.isKeepAlive(res)) {
        sendNext();
      } // else the server closes the connection, and closed() connects again
    }

    private static String matchedPrompt(FullHttpResponse res) {
      try (ByteBufInputStream in = new ByteBufInputStream(res.content().duplicate())) {
        JsonNode n = JSON.readTree(in).get("matched_prompt");
        return n == null ? null : n.asText();
      } catch (IOException e) {
        return null;
      }
    }

    void closed(Channel ch) {
      if (ch != channel) {
        return;
      }
      channel = null;
      if (finished) {
        return;
      }
      if (current != null) {
        current = null;
        ioError();
        retryLater();
      } else {
        connect(); // an orderly close (an answer without keep-alive): go on at once
      }
    }

    /** Gives up on an outstanding answer. */
    void abort() {
      if (finished) {
        return;
      }
      if (current != null) {
        current = null;
        unanswered++;
        run.errors.increment();
      }
      finish();
    }

    void finish() {
      if (finished) {
        return;
      }
      finished = true;
      if (channel != null) {
        channel.close();
      }
      run.done.countDown();
    }
  }

  private static final class Handler extends SimpleChannelInboundHandler<FullHttpResponse> {
    private final Conn conn;

    Handler(Conn conn) {
      this.conn = conn;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      conn.active(ctx.channel());
      ctx.fireChannelActive();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse res) {
      conn.answer(res);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      conn.closed(ctx.channel());
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
