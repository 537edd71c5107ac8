package dev.semcache.server.proxy;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Relays an upstream's event stream to the caller chunk by chunk, as it arrives, and reads it on the
 * way through ({@link StreamAssembler}).
 *
 * <p>Backpressure: one chunk is asked of the upstream at a time, and the next only when the caller's
 * connection can take more ({@link ResponseSink#write}'s callback), so a slow reader slows the upstream
 * connection (TCP) instead of filling memory. While waiting for the upstream, a pause longer than the
 * timeout cuts the stream off.
 *
 * <p>Endings: when the upstream ends its body, {@code beforeEnd} runs with what was assembled (proxy mode
 * stores the answer there) and then the caller's body ends. When the upstream fails or stalls, the
 * caller's connection is closed without ending the body, so the caller sees the interruption; nothing
 * is stored. When the caller goes away, the upstream request is cancelled.
 */
final class SseRelay implements Flow.Subscriber<List<ByteBuffer>>, ProxyReply.StreamBody {
  private static final Logger LOG = LoggerFactory.getLogger(SseRelay.class);

  private final ScheduledExecutorService timers;
  private final Duration idleTimeout;
  private final StreamAssembler assembler = new StreamAssembler();
  private Function<StreamAssembler, CompletionStage<?>> beforeEnd = a -> CompletableFuture.completedFuture(null);
  private Flow.Subscription subscription;
  private ResponseSink sink;
  private ScheduledFuture<?> stall;
  private boolean started;
  private boolean finished;

  SseRelay(ScheduledExecutorService timers, Duration idleTimeout) {
    this.timers = timers;
    this.idleTimeout = idleTimeout;
  }

  /** What runs after the upstream ended its stream and before the caller's body ends; set before {@link #start}. */
  void beforeEnd(Function<StreamAssembler, CompletionStage<?>> hook) {
    this.beforeEnd = hook;
  }

  @Override
  public synchronized void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (finished) {
      s.cancel(); // the caller left before the upstream's body began
      return;
    }
    startIfReady();
  }

  @Override
  public synchronized void start(ResponseSink s) {
    sink = s;
    s.onClose(this::callerGone);
    startIfReady();
  }

  private void startIfReady() {
    if (subscription != null && sink != null && !started) {
      started = true;
      requestNext();
    }
  }

  private synchronized void requestNext() {
    if (finished) {
      return;
    }
    stall = timers.schedule(this::stalled, idleTimeout.toMillis(), TimeUnit.MILLISECONDS);
    subscription.request(1);
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    int size = 0;
    for (ByteBuffer b : items) {
      size += b.remaining();
    }
    byte[] bytes = new byte[size];
    int at = 0;
    for (ByteBuffer b : items) {
      int n = b.remaining();
      b.get(bytes, at, n);
      at += n;
    }
    ResponseSink s;
    synchronized (this) {
      if (stall != null) {
        stall.cancel(false);
      }
      if (finished) {
        return;
      }
      s = sink;
    }
    assembler.feed(bytes);
    if (size == 0) {
      requestNext();
    } else {
      s.write(bytes, this::requestNext);
    }
  }

  @Override
  public void onError(Throwable t) {
    ResponseSink s;
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      cancelStall();
      s = sink;
    }
    LOG.info("the upstream's stream broke off ({}); the caller's answer is cut off and nothing is stored", t.toString());
    if (s != null) {
      s.abort();
    }
  }

  @Override
  public void onComplete() {
    ResponseSink s;
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      cancelStall();
      s = sink;
    }
    assembler.end();
    CompletionStage<?> hook;
    try {
      hook = beforeEnd.apply(assembler);
    } catch (RuntimeException e) {
      hook = CompletableFuture.failedFuture(e);
    }
    hook.whenComplete((v, t) -> {
      if (t != null) {
        LOG.warn("storing a streamed answer failed; it was served, not cached", t);
      }
      s.end();
    });
  }

  private void stalled() {
    ResponseSink s;
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      s = sink;
    }
    LOG.info("the upstream sent nothing for {} s in the middle of a stream; cutting it off", idleTimeout.toSeconds());
    subscription.cancel();
    s.abort();
  }

  private void callerGone() {
    Flow.Subscription sub;
    synchronized (this) {
      if (finished) {
        return;
      }
      finished = true;
      cancelStall();
      sub = subscription;
    }
    LOG.debug("the caller went away in the middle of a stream; cancelling the upstream request");
    if (sub != null) {
      sub.cancel();
    }
  }

  private void cancelStall() {
    if (stall != null) {
      stall.cancel(false);
    }
  }
}
