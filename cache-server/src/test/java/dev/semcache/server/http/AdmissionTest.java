package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.index.ManualClock;
import dev.semcache.server.config.LimitsConfig;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Regression tests for "work before admission" and "no connection cap". */
class AdmissionTest {

  /** Holds every task it is given, so that requests stay in flight. */
  static final class HeldExecutor extends AbstractExecutorService {
    final List<Runnable> held = new ArrayList<>();

    @Override
    public void execute(Runnable r) {
      held.add(r);
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return held;
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return true;
    }
  }

  private static HttpCall post(String uri, byte[] body) {
    DefaultHttpHeaders h = new DefaultHttpHeaders();
    h.set("Content-Type", "application/json");
    return new HttpCall(HttpMethod.POST, uri, h, body, true, System.nanoTime());
  }

  /**
   * A 1 MiB lookup used to be parsed, normalised and hashed on the event loop before the max_in_flight
   * check. Now a request beyond the limit is answered 503 without the API being touched at all.
   */
  @Test
  void aRequestBeyondMaxInFlightIsRefusedBeforeAnyParsing() {
    AtomicInteger apiTouched = new AtomicInteger();
    HeldExecutor workers = new HeldExecutor();
    Dispatcher d = new Dispatcher(() -> {
      apiTouched.incrementAndGet();
      return null;
    }, () -> null, () -> Dispatcher.State.READY, new ServerMetrics(() -> null, () -> null, ModelSpec.DEFAULT), workers, 1, 3,
        new ApiKeys(List.of()));
    List<Dispatcher.Answer> answers = new ArrayList<>();
    d.dispatch(post("/v1/entries", "{}".getBytes(StandardCharsets.UTF_8)), answers::add);
    assertThat(workers.held).hasSize(1);
    byte[] huge = ("{\"namespace\":\"faq\",\"prompt\":\"" + "x".repeat(1 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);
    d.dispatch(post("/v1/lookup", huge), answers::add);
    assertThat(answers).hasSize(1);
    assertThat(answers.get(0).response().status().code()).isEqualTo(503);
    assertThat(answers.get(0).response().headers()).containsEntry("Retry-After", "3");
    assertThat(apiTouched).hasValue(0);
  }

  /** Connections had no cap: one client could open them until the server ran out of descriptors. */
  @Test
  void connectionsAreCappedPerAddressAndFreedOnClose() throws IOException {
    Path dir = Files.createTempDirectory("admission");
    LimitsConfig limits = new LimitsConfig(64L << 20, 64L << 20, 0.25, 100, 2, 100);
    try (TestServer server = new TestServer(TestServer.config(dir).withLimits(limits), new ManualClock());
        Socket a = new Socket("127.0.0.1", server.port());
        Socket b = new Socket("127.0.0.1", server.port())) {
      a.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(RawHttp.read(a.getInputStream(), 1).first().status()).isEqualTo(200);
      try (Socket c = new Socket("127.0.0.1", server.port())) {
        c.setSoTimeout(10_000);
        RawHttp.Answer refused = RawHttp.read(c.getInputStream(), 1).first();
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.body()).contains("too_many_connections").contains("limits.max_connections_per_address");
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        InputStream in = c.getInputStream();
        assertThat(in.read()).isEqualTo(-1);
      }
      b.close();
      long deadline = System.currentTimeMillis() + 10_000;
      int status = 0;
      while (status != 200 && System.currentTimeMillis() < deadline) {
        // the server learns of the close asynchronously
        status = RawHttp.send(server.port(), "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII), 1, 10_000).first().status();
      }
      assertThat(status).isEqualTo(200);
    }
  }
}
