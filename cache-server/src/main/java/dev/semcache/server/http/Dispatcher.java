package dev.semcache.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a whole request into an answer. Health checks, and exact hits whose entry is in memory, are
 * answered at once on the event loop; everything else crosses to the worker pool, so that no disk read,
 * embedding or index search runs on an event loop. At most {@code maxInFlight}
 * requests are worked on at once; one more is answered 503 with {@code Retry-After} at once, which
 * bounds every queue behind it.
 */
final class Dispatcher {
  private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);

  /** Where the server is in its life. */
  enum State {
    STARTING,
    READY,
    DRAINING
  }

  private final Supplier<Api> api;
  private final Supplier<ProxyRoute> proxy;
  private final Supplier<State> state;
  private final ServerMetrics metrics;
  private final ExecutorService workers;
  private final int maxInFlight;
  private final int retryAfterS;
  private final DashboardFiles dashboard = new DashboardFiles();

  /** Without API keys: requests a web page could make are refused ({@link HostCheck}). */
  private final boolean loopbackMode;
  private final ApiKeys keys;

  Dispatcher(Supplier<Api> api, Supplier<ProxyRoute> proxy, Supplier<State> state, ServerMetrics metrics,
      ExecutorService workers, int maxInFlight, int retryAfterS, ApiKeys keys) {
    this.keys = keys;
    this.loopbackMode = !keys.enabled();
    this.api = api;
    this.proxy = proxy;
    this.state = state;
    this.metrics = metrics;
    this.workers = workers;
    this.maxInFlight = maxInFlight;
    this.retryAfterS = retryAfterS;
  }

  /** Answers {@code call}; {@code done} runs exactly once, on any thread. */
  void dispatch(HttpCall call, Consumer<Answer> done) {
    Route.Match match;
    try {
      match = Route.match(call.method(), call.uri());
    } catch (ApiException e) {
      done.accept(new Answer("unmatched", error(e)));
      return;
    }
    String label = match.route().label;
    if (loopbackMode && match.route() != Route.HEALTHZ && match.route() != Route.READYZ) {
      ApiException foreign = HostCheck.refusal(call);
      if (foreign != null) {
        done.accept(new Answer(label, error(foreign)));
        return;
      }
    }
    switch (match.route()) {
      case HEALTHZ -> {
        done.accept(new Answer(label, status(HttpResponseStatus.OK, "ok")));
        return;
      }
      case READYZ -> {
        State s = state.get();
        done.accept(new Answer(label, s == State.READY ? status(HttpResponseStatus.OK, "ready")
            : status(HttpResponseStatus.SERVICE_UNAVAILABLE, s == State.STARTING ? "starting" : "draining")));
        return;
      }
      case DASHBOARD, DASHBOARD_FILE -> {
        ApiResponse page;
        try {
          page = dashboard.file(match.param());
        } catch (ApiException e) {
          page = error(e);
        }
        done.accept(new Answer(label, page));
        return;
      }
      default -> { }
    }
    if (match.route() == Route.METRICS && keys.enabled()) {
      // With keys, /metrics needs a key with the metrics role (or admin): its labels name every namespace.
      try {
        ApiKeys.authorize(keys.authenticate(call.header(io.netty.handler.codec.http.HttpHeaderNames.AUTHORIZATION)),
            null, dev.semcache.server.config.Role.METRICS);
      } catch (ApiException e) {
        done.accept(new Answer(label, error(e)));
        return;
      }
    }
    State s = state.get();
    if (s != State.READY && match.route() != Route.METRICS) {
      done.accept(new Answer(label, error(new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE,
          s == State.STARTING ? "not_ready" : "shutting_down",
          s == State.STARTING ? "semcache is still loading the model and the index; retry shortly"
              : "semcache is shutting down",
          Map.of("Retry-After", Integer.toString(retryAfterS))))));
      return;
    }
    // Admission comes first: a request beyond max_in_flight costs no parsing, normalising or hashing.
    if (metrics.inFlight.incrementAndGet() > maxInFlight) {
      metrics.inFlight.decrementAndGet();
      done.accept(new Answer(label, error(Answers.overloaded(maxInFlight + " requests are in progress, the most this"
          + " server takes at once (http.max_in_flight); retry after " + retryAfterS + " s", retryAfterS))));
      return;
    }
    Consumer<ApiResponse> finish = r -> {
      if (r.stream() == null) {
        metrics.inFlight.decrementAndGet();
        done.accept(new Answer(label, r));
      } else {
        // A streamed answer is in flight until its body ends, so that a drain on shutdown waits for it.
        done.accept(new Answer(label, StreamEnd.counted(r, metrics.inFlight::decrementAndGet)));
      }
    };
    LookupRoutes.PreparedLookup prepared = null;
    if (match.route() == Route.LOOKUP) {
      // Exact hits held in memory are answered here, on the event loop: no disk read, no embedding, no
      // hand-off to a worker and back. Everything else continues on a worker.
      Object fast;
      try {
        fast = api.get().lookupOnEventLoop(call);
      } catch (Throwable t) {
        finish.accept(failure(call, t));
        return;
      }
      if (fast instanceof ApiResponse r) {
        finish.accept(r);
        return;
      }
      prepared = (LookupRoutes.PreparedLookup) fast;
    }
    LookupRoutes.PreparedLookup lookup = prepared;
    try {
      workers.execute(() -> run(call, match, lookup, finish));
    } catch (RejectedExecutionException e) {
      finish.accept(error(Answers.overloaded("the worker pool is full or stopping; retry after " + retryAfterS + " s",
          retryAfterS)));
    }
  }

  /** The in-flight count, for draining on shutdown. */
  int inFlight() {
    return metrics.inFlight.get();
  }

  private void run(HttpCall call, Route.Match match, LookupRoutes.PreparedLookup lookup, Consumer<ApiResponse> finish) {
    CompletableFuture<ApiResponse> answer;
    try {
      answer = match.route() == Route.METRICS
          ? CompletableFuture.completedFuture(new ApiResponse(HttpResponseStatus.OK, metrics.contentType(),
              metrics.scrape(), Map.of()))
          : lookup != null ? api.get().lookup(lookup)
          : match.route().proxied() ? proxy.get().handle(call)
          : api.get().handle(call, match);
    } catch (Throwable t) {
      answer = CompletableFuture.failedFuture(t);
    }
    answer.whenComplete((r, t) -> finish.accept(t == null ? r : failure(call, t)));
  }

  private ApiResponse failure(HttpCall call, Throwable t) {
    ApiException known = Answers.toApiException(t, retryAfterS);
    if (known != null) {
      if (known.code().equals("storage_unavailable")) {
        LOG.warn("{} {}: 503, {}", call.method(), JsonBody.abbreviate(call.uri()), known.getMessage());
      }
      return error(known);
    }
    LOG.error("{} {} failed", call.method(), JsonBody.abbreviate(call.uri()), t);
    return error(new ApiException(HttpResponseStatus.INTERNAL_SERVER_ERROR, "internal_error",
        "semcache failed to answer this request; the server log has the details"));
  }

  static ApiResponse error(ApiException e) {
    ObjectNode body = JsonBody.MAPPER.createObjectNode();
    body.putObject("error").put("code", e.code()).put("message", e.getMessage());
    try {
      return new ApiResponse(e.status(), ApiResponse.JSON, JsonBody.MAPPER.writeValueAsBytes(body), e.headers());
    } catch (com.fasterxml.jackson.core.JsonProcessingException x) {
      throw new IllegalStateException(x);
    }
  }

  private static ApiResponse status(HttpResponseStatus status, String text) {
    return ApiResponse.json(status, ("{\"status\":\"" + text + "\"}").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  /** An answer and the route label it is counted under. */
  record Answer(String route, ApiResponse response) {}
}
