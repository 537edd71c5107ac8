package dev.semcache.server.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The relay's flow control, with a sink that holds its "writable" callbacks like a connection whose
 * reader is slow: one chunk is asked of the upstream at a time, and the next only once the caller can
 * take more. (End to end, over real sockets, in ProxyModeTest and ProxyClientsTest.)
 */
class SseRelayTest {
  final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    timers.shutdownNow();
  }

  static final class SlowSink implements ResponseSink {
    final List<String> written = new ArrayList<>();
    final List<Runnable> held = new ArrayList<>();
    int ended;
    int aborted;
    Runnable onClose;

    @Override
    public synchronized void write(byte[] chunk, Runnable whenWritable) {
      written.add(new String(chunk, StandardCharsets.UTF_8));
      held.add(whenWritable);
    }

    @Override
    public synchronized void end() {
      ended++;
    }

    @Override
    public synchronized void abort() {
      aborted++;
    }

    @Override
    public void onClose(Runnable r) {
      onClose = r;
    }

    synchronized void drain() {
      List<Runnable> r = new ArrayList<>(held);
      held.clear();
      r.forEach(Runnable::run);
    }
  }

  static final class Counting implements Flow.Subscription {
    final AtomicInteger requested = new AtomicInteger();
    volatile boolean cancelled;

    @Override
    public void request(long n) {
      requested.addAndGet((int) n);
    }

    @Override
    public void cancel() {
      cancelled = true;
    }
  }

  static List<ByteBuffer> bytes(String s) {
    return List.of(ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void asksForTheNextChunkOnlyWhenTheCallerCanTakeMoreAndStoresBeforeEnding() {
    SseRelay relay = new SseRelay(timers, Duration.ofSeconds(30));
    CompletableFuture<UpstreamAnswer> stored = new CompletableFuture<>();
    relay.beforeEnd(a -> {
      stored.complete(a.answer());
      return CompletableFuture.completedFuture(null);
    });
    Counting sub = new Counting();
    relay.onSubscribe(sub);
    assertThat(sub.requested.get()).isZero(); // nothing is read before the caller's head is out
    SlowSink sink = new SlowSink();
    relay.start(sink);
    assertThat(sub.requested.get()).isEqualTo(1);
    relay.onNext(bytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"));
    assertThat(sink.written).hasSize(1);
    assertThat(sub.requested.get()).isEqualTo(1); // the caller has not taken it yet
    sink.drain();
    assertThat(sub.requested.get()).isEqualTo(2);
    relay.onNext(bytes("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"));
    sink.drain();
    relay.onComplete();
    assertThat(stored).isDone();
    assertThat(stored.join().content()).isEqualTo("Hi");
    assertThat(sink.ended).isEqualTo(1);
    assertThat(sink.aborted).isZero();
  }

  @Test
  void anUpstreamFailureCutsTheCallerOffAndACallerWhoLeavesCancelsTheUpstream() {
    SseRelay relay = new SseRelay(timers, Duration.ofSeconds(30));
    relay.beforeEnd(a -> {
      throw new AssertionError("nothing may be stored");
    });
    Counting sub = new Counting();
    SlowSink sink = new SlowSink();
    relay.onSubscribe(sub);
    relay.start(sink);
    relay.onNext(bytes("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"));
    relay.onError(new java.io.IOException("connection reset"));
    assertThat(sink.aborted).isEqualTo(1);
    assertThat(sink.ended).isZero();

    SseRelay second = new SseRelay(timers, Duration.ofSeconds(30));
    Counting sub2 = new Counting();
    SlowSink sink2 = new SlowSink();
    second.onSubscribe(sub2);
    second.start(sink2);
    sink2.onClose.run();
    assertThat(sub2.cancelled).isTrue();
  }

  @Test
  void anUpstreamThatStallsIsCutOff() throws Exception {
    SseRelay relay = new SseRelay(timers, Duration.ofMillis(100));
    Counting sub = new Counting();
    SlowSink sink = new SlowSink();
    relay.onSubscribe(sub);
    relay.start(sink);
    for (int i = 0; i < 100 && sink.aborted == 0; i++) {
      Thread.sleep(20);
    }
    assertThat(sink.aborted).isEqualTo(1);
    assertThat(sub.cancelled).isTrue();
  }
}
