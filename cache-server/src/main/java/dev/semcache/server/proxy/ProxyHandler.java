package dev.semcache.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Scope;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.cache.StoreRequest;
import java.io.IOException;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxy mode: OpenAI-compatible calls answered from the cache, or forwarded to the upstream and stored.
 *
 * <p>{@code POST /v1/chat/completions}: the request is read ({@link ChatRequest}), the policy chooses its
 * key or a bypass ({@link CachePolicy}), the cache is looked up, and a hit is answered as a chat
 * completion, whole or replayed as a stream ({@link ChatCompletionReplay}). A miss goes to the upstream
 * ({@link UpstreamClient}); its answer is returned as it came (a stream is relayed chunk by chunk, {@link
 * SseRelay}) and stored when the policy allows, before the caller's answer ends, so the next identical
 * request hits. Every other path ({@code /v1/completions}, {@code /v1/embeddings}) is passed through
 * uncached. Upstream failures are passed through as they came and never stored.
 *
 * <p>Runs on a worker thread; every wait (lookup, upstream) is a future, never a blocked thread.
 * The caller's {@code Authorization} header is forwarded to the upstream and nowhere else: it is not
 * stored, not part of any key, and not logged.
 */
public final class ProxyHandler {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyHandler.class);
  static final String CHAT_PATH = "/v1/chat/completions";
  static final String STATUS = "X-Cache-Status";
  static final String SIMILARITY = "X-Cache-Similarity";
  static final String LOOKUP_ID = "X-Semcache-Lookup-Id";
  static final String REASON = "X-Semcache-Reason";
  private static final String SSE = "text/event-stream; charset=utf-8";

  private final SemanticCache cache;
  private final UpstreamClient upstream;
  private final boolean audits;
  private final ProxyEvents events;

  /**
   * @param audits whether sampled hits are audited here, by calling the upstream in the background
   * @param events where lookups, stores and answers are counted
   */
  public ProxyHandler(SemanticCache cache, UpstreamClient upstream, boolean audits, ProxyEvents events) {
    this.cache = cache;
    this.upstream = upstream;
    this.audits = audits;
    this.events = events;
  }

  /** Answers a proxied call; the future fails only with the cache's own refusals (the transport maps them). */
  public CompletableFuture<ProxyReply> handle(ProxyCall call) {
    CompletableFuture<ProxyReply> reply;
    try {
      String path = call.target().split("\\?", 2)[0];
      reply = path.equals(CHAT_PATH) ? chat(call, System.nanoTime())
          : forward(call, null, null, null, CacheStatus.BYPASS, "only chat completions are cached");
    } catch (ProxyRequestException e) {
      reply = CompletableFuture.completedFuture(error(e.status(), e.code(), e.getMessage(), Map.of()));
    }
    return reply.whenComplete((r, t) -> {
      String status = r == null ? null : r.headers().get(STATUS);
      if (status != null) {
        events.answered(call.namespace(), status);
      }
    });
  }

  private CompletableFuture<ProxyReply> chat(ProxyCall call, long startNanos) {
    ChatRequest chat = ChatRequest.parse(call.body());
    CacheControls controls = CacheControls.of(call.headers());
    NamespaceConfig config = cache.namespaceConfig(call.namespace());
    if (controls.ttlS() != null) {
      try {
        config.ttlMillisFor(controls.ttlS());
      } catch (IllegalArgumentException e) {
        throw ProxyRequestException.invalid(CacheControls.TTL + ": " + e.getMessage());
      }
    }
    CachePolicy.Decision d = CachePolicy.decide(chat, config, controls);
    if (!d.cached()) {
      return forward(call, chat, null, null, CacheStatus.BYPASS, d.bypassReason());
    }
    Stored key = new Stored(pinned(d.key(), call.pinnedScope()), controls.ttlS());
    if (controls.noCache()) {
      return forward(call, chat, key, null, CacheStatus.BYPASS, "the request says Cache-Control: no-cache");
    }
    return call.quota().run(() -> cache.lookup(new LookupRequest(call.namespace(), key.key().prompt(),
            key.key().scope(), controls.threshold())))
        .thenCompose(r -> {
          events.lookedUp(call.namespace(), r, System.nanoTime() - startNanos);
          return lookedUp(call, chat, key, controls, r);
        });
  }

  private CompletableFuture<ProxyReply> lookedUp(ProxyCall call, ChatRequest chat, Stored key, CacheControls controls,
      LookupResult r) {
    if (!r.hit()) {
      return forward(call, chat, key, r.lookupId(),
          r.kind() == LookupResult.Kind.EXPLORE ? CacheStatus.EXPLORE : CacheStatus.MISS, null);
    }
    long ageS = Math.max(0, (cache.clock().millis() - r.entry().createdAtMillis()) / 1000);
    if (controls.maxAgeS() != null && ageS > controls.maxAgeS()) {
      return forward(call, chat, key, r.lookupId(), CacheStatus.MISS, "the cached answer is " + ageS
          + " s old, older than the request's Cache-Control max-age=" + controls.maxAgeS());
    }
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put(STATUS, r.kind() == LookupResult.Kind.EXACT ? CacheStatus.HIT_EXACT.header : CacheStatus.HIT_SEMANTIC.header);
    headers.put(SIMILARITY, String.format(Locale.ROOT, "%.4f", Math.min(1f, r.similarity())));
    headers.put("Age", Long.toString(ageS));
    headers.put(LOOKUP_ID, r.lookupId());
    long nowS = cache.clock().millis() / 1000;
    ProxyReply reply;
    if (chat.stream()) {
      headers.put("Content-Type", SSE);
      headers.put("Cache-Control", "no-cache");
      reply = new ProxyReply.Whole(200, headers, ChatCompletionReplay.stream(r.entry(), chat.model(), r.lookupId(), nowS,
          chat.includeUsage()));
    } else {
      headers.put("Content-Type", "application/json");
      reply = new ProxyReply.Whole(200, headers, ChatCompletionReplay.completion(r.entry(), chat.model(), r.lookupId(),
          nowS));
    }
    if (r.audit() && audits) {
      audit(call, chat, r);
    }
    return CompletableFuture.completedFuture(reply);
  }

  /**
   * The key with the caller's pinned scope attributes added to its scope, beside the fingerprint (which
   * wins over a key pinned to the reserved attribute itself: answers never cross conversations).
   */
  private static CachePolicy.Key pinned(CachePolicy.Key key, Map<String, String> pinnedScope) {
    if (pinnedScope.isEmpty()) {
      return key;
    }
    Map<String, String> attributes = new LinkedHashMap<>(pinnedScope);
    attributes.putAll(key.scope().attributes());
    return new CachePolicy.Key(key.prompt(), Scope.of(attributes), key.semantic());
  }

  /** A request's key and the time to live it asked for. */
  private record Stored(CachePolicy.Key key, Long ttlS) {}

  /**
   * Sends the call upstream and returns its answer as it came, with semcache's headers; stores a chat
   * answer under {@code key} (null: never) when the policy allows.
   */
  private CompletableFuture<ProxyReply> forward(ProxyCall call, ChatRequest chat, Stored key, String lookupId,
      CacheStatus status, String reason) {
    Map<String, String> ours = new LinkedHashMap<>();
    ours.put(STATUS, status.header);
    if (lookupId != null) {
      ours.put(LOOKUP_ID, lookupId);
    }
    if (reason != null) {
      ours.put(REASON, reason);
    }
    boolean store = key != null && call.mayStore();
    return upstream.send(call.target(), call.headers(), call.body()).<CompletableFuture<ProxyReply>>handle((start, t) -> {
      if (t != null) {
        return CompletableFuture.completedFuture(upstreamFailed(t, ours));
      }
      return switch (start) {
        case UpstreamClient.Whole w -> {
          ProxyReply reply = new ProxyReply.Whole(w.status(), merged(w.headers(), ours), w.body());
          if (!store) {
            yield CompletableFuture.completedFuture(reply);
          }
          yield storeIfAllowed(call, key, lookupId, w.status(), completion(w.body()))
              .handle((x, e) -> reply);
        }
        case UpstreamClient.Streaming s -> {
          if (store) {
            s.relay().beforeEnd(assembled -> storeIfAllowed(call, key, lookupId, 200, assembled.answer()));
          }
          yield CompletableFuture.completedFuture(new ProxyReply.Streamed(s.status(), merged(s.headers(), ours), s.relay()));
        }
      };
    }).thenCompose(f -> f);
  }

  private static UpstreamAnswer completion(byte[] body) {
    try {
      JsonNode n = ChatRequest.JSON.readTree(body);
      if (n != null && n.isObject()) {
        return UpstreamAnswer.ofCompletion(n);
      }
    } catch (IOException e) {
      // not JSON: not an answer to store
    }
    return new UpstreamAnswer(null, null, 0, false, false, false, true, null, null, null);
  }

  private CompletableFuture<?> storeIfAllowed(ProxyCall call, Stored key, String lookupId, int status, UpstreamAnswer a) {
    Optional<String> why = CachePolicy.whyNotStored(status, a);
    if (why.isPresent()) {
      LOG.debug("not stored in namespace {}: {}", call.namespace(), why.get());
      return CompletableFuture.completedFuture(null);
    }
    try {
      return call.quota().run(() -> cache.store(new StoreRequest(call.namespace(), key.key().prompt(), a.content(),
          key.key().scope(), key.ttlS(), ChatCompletionReplay.metadata(a), lookupId, status))).whenComplete((s, t) -> {
            if (s != null) {
              events.stored(call.namespace(), s.embeddingReused());
            }
            if (t != null) {
              LOG.warn("storing an answer in namespace {} failed; it was served, not cached: {}", call.namespace(),
                  t.toString());
            }
          });
    } catch (RuntimeException e) {
      LOG.warn("storing an answer in namespace {} was refused; it was served, not cached: {}", call.namespace(),
          e.getMessage());
      return CompletableFuture.completedFuture(null);
    }
  }

  /**
   * Proxy-mode audit: the upstream answers the same request again, in the background, and the fresh
   * answer is judged against the served one exactly as a gateway's {@code POST /v1/audits} would be.
   */
  private void audit(ProxyCall call, ChatRequest chat, LookupResult r) {
    upstream.send(call.target(), call.headers(), chat.withoutStreaming()).thenCompose(start -> {
      if (!(start instanceof UpstreamClient.Whole w) || w.status() != 200) {
        throw new CompletionException(new IOException("the upstream did not answer the audit with 200"));
      }
      UpstreamAnswer fresh = completion(w.body());
      if (fresh.content() == null || fresh.content().isBlank()) {
        throw new CompletionException(new IOException("the upstream's answer to the audit has no text"));
      }
      return cache.audit(call.namespace(), r.lookupId(), fresh.content(), null, false);
    }).whenComplete((rec, t) -> {
      if (t != null) {
        LOG.info("proxy audit of lookup {} in namespace {} not recorded: {}", r.lookupId(), call.namespace(),
            (t instanceof CompletionException && t.getCause() != null ? t.getCause() : t).toString());
      } else {
        LOG.debug("proxy audit of lookup {}: {}", r.lookupId(), rec.verdict());
      }
    });
  }

  private static Map<String, String> merged(Map<String, String> upstreamHeaders, Map<String, String> ours) {
    Map<String, String> out = new LinkedHashMap<>(upstreamHeaders);
    out.putAll(ours);
    return out;
  }

  private static ProxyReply upstreamFailed(Throwable t, Map<String, String> ours) {
    Throwable cause = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (cause instanceof HttpTimeoutException) {
      return error(504, "upstream_timeout", "the upstream did not answer in time (proxy.timeout_s)", ours);
    }
    LOG.info("the upstream could not be reached: {}", cause.toString());
    return error(502, "upstream_unavailable", "the upstream could not be reached: " + cause.getClass().getSimpleName()
        + (cause.getMessage() == null ? "" : " (" + cause.getMessage() + ")"), ours);
  }

  /** semcache's error shape, which OpenAI clients read too ({@code error.message}). */
  static ProxyReply error(int status, String code, String message, Map<String, String> headers) {
    ObjectNode body = ChatRequest.JSON.createObjectNode();
    body.putObject("error").put("code", code).put("message", message).put("type", "semcache_error");
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put("Content-Type", "application/json");
    return new ProxyReply.Whole(status, h, body.toString().getBytes(StandardCharsets.UTF_8));
  }
}
