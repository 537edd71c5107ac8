package dev.semcache.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.embedding.EmbedderOverloadedException;
import dev.semcache.index.StorageUnavailableException;
import dev.semcache.server.audit.Proportion;
import dev.semcache.server.cache.CacheRequestException;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/** Writing v1 answers, and the one mapping from what a request can fail with to its error answer. */
final class Answers {
  private Answers() {}

  static ApiResponse json(HttpResponseStatus status, ObjectNode body) {
    try {
      return ApiResponse.json(status, JsonBody.MAPPER.writeValueAsBytes(body));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static CompletableFuture<ApiResponse> done(ApiResponse r) {
    return CompletableFuture.completedFuture(r);
  }

  /** estimate, lower, upper: numbers, or nulls when nothing was audited. */
  static void putRate(ObjectNode out, Proportion rate) {
    if (rate.known()) {
      out.put("estimate", rate.estimate());
      out.put("lower", rate.lower());
      out.put("upper", rate.upper());
    } else {
      out.putNull("estimate");
      out.putNull("lower");
      out.putNull("upper");
    }
  }

  /** Runs a cache call, turning its synchronous refusals into failed futures like its asynchronous ones. */
  static <T> CompletableFuture<T> guard(Supplier<CompletableFuture<T>> call) {
    try {
      return call.get();
    } catch (CacheRequestException | EmbedderOverloadedException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** The error answer for anything a request can fail with; null for what is not a known refusal. */
  static ApiException toApiException(Throwable t, int retryAfterS) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof ApiException a) {
      return a;
    }
    if (e instanceof CacheRequestException c) {
      HttpResponseStatus status = switch (c.code()) {
        case INVALID_REQUEST, PROMPT_TOO_LONG -> HttpResponseStatus.BAD_REQUEST;
        case ENTRY_NOT_FOUND, NAMESPACE_NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
        case UNCACHEABLE_RESPONSE -> HttpResponseStatus.UNPROCESSABLE_ENTITY;
        case LOOKUP_NOT_FOUND -> HttpResponseStatus.NOT_FOUND;
        case LOOKUP_EXPIRED -> HttpResponseStatus.GONE;
        case NOT_SAMPLED, ALREADY_AUDITED, NOT_A_HIT -> HttpResponseStatus.CONFLICT;
        case THRESHOLD_NOT_ALLOWED -> HttpResponseStatus.FORBIDDEN;
      };
      return new ApiException(status, c.code().wire(), c.getMessage());
    }
    if (e instanceof EmbedderOverloadedException) {
      return overloaded("the embedding queue is full; retry after " + retryAfterS + " s", retryAfterS);
    }
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof StorageUnavailableException u) {
        // never a guess: a lookup that cannot reach its storage is not a miss
        return new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "storage_unavailable",
            "the cache's storage cannot answer now: " + u.getMessage(), Map.of("Retry-After", Integer.toString(retryAfterS)));
      }
    }
    return null;
  }

  static ApiException overloaded(String message, int retryAfterS) {
    return new ApiException(HttpResponseStatus.SERVICE_UNAVAILABLE, "overloaded", message,
        Map.of("Retry-After", Integer.toString(retryAfterS)));
  }
}
