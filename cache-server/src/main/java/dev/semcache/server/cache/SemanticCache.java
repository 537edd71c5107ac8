package dev.semcache.server.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.Match;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Namespaces;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The cache's decisions, independent of any transport: the exact path, the semantic path under a
 * threshold, lookup ids, and counts. The HTTP server is a thin adapter around it.
 *
 * <h2>Lookup</h2>
 * The exact path (namespace + scope + normalised prompt) answers without embedding. Otherwise the prompt
 * is embedded (on the {@link ParallelEmbedder}'s workers, never in the caller's thread), the nearest live
 * entry of the partition is found, and it is a hit when its similarity reaches the threshold. A miss
 * remembers its embedding under its lookup id for a short time (see {@link PendingLookups}).
 *
 * <h2>Store</h2>
 * A store that names the lookup id of its miss reuses that embedding when namespace, scope and prompt
 * match; otherwise it embeds the prompt. Entries are written to durable storage before the future
 * completes.
 */
public final class SemanticCache {
  /** How long a miss keeps its embedding for the store that follows. */
  public static final Duration PENDING_TTL = Duration.ofMinutes(10);

  private final CacheStorage storage;
  private final ParallelEmbedder embedder;
  private final PendingLookups pending;
  private final Map<String, NamespaceCounters> counters = new ConcurrentHashMap<>();

  public SemanticCache(CacheStorage storage, ParallelEmbedder embedder, InstantSource clock) {
    this.storage = storage;
    this.embedder = embedder;
    this.pending = new PendingLookups(100_000, PENDING_TTL, clockTicker(clock));
  }

  private static Ticker clockTicker(InstantSource clock) {
    return () -> clock.millis() * 1_000_000L;
  }

  /**
   * Looks a prompt up.
   *
   * @throws CacheRequestException synchronously if the request is invalid
   */
  public CompletableFuture<LookupResult> lookup(LookupRequest request) {
    String ns = validNamespace(request.namespace());
    String prompt = validPrompt(request.prompt());
    NamespaceConfig config = storage.config(ns);
    double threshold = request.threshold() == null ? config.threshold() : validThreshold(request.threshold());
    String lookupId = newLookupId();
    Optional<Entry> exact = storage.findExact(ns, request.scope(), prompt);
    if (exact.isPresent()) {
      Entry hit = storage.recordHit(exact.get());
      counters(ns).count(LookupResult.Kind.EXACT);
      return CompletableFuture.completedFuture(new LookupResult(LookupResult.Kind.EXACT, hit, 1f, threshold, lookupId));
    }
    return embed(prompt).thenApply(vector -> {
      List<Match> nearest = storage.findNearest(ns, request.scope(), vector, 1);
      float similarity = nearest.isEmpty() ? Float.NaN : nearest.get(0).similarity();
      if (!nearest.isEmpty() && similarity >= threshold) {
        Entry hit = storage.recordHit(nearest.get(0).entry());
        counters(ns).count(LookupResult.Kind.SEMANTIC);
        return new LookupResult(LookupResult.Kind.SEMANTIC, hit, similarity, threshold, lookupId);
      }
      pending.remember(lookupId, ns, request.scope(), prompt, vector);
      counters(ns).count(LookupResult.Kind.MISS);
      return new LookupResult(LookupResult.Kind.MISS, null, similarity, threshold, lookupId);
    });
  }

  /**
   * Stores an answer.
   *
   * @throws CacheRequestException synchronously if the request is invalid
   */
  public CompletableFuture<Entry> store(StoreRequest request) {
    String ns = validNamespace(request.namespace());
    String prompt = validPrompt(request.prompt());
    if (request.response() == null) {
      throw new CacheRequestException(CacheRequestException.Code.INVALID_REQUEST, "response must be a string");
    }
    NamespaceConfig config = storage.config(ns);
    try {
      config.ttlMillisFor(request.ttlSeconds());
    } catch (IllegalArgumentException e) {
      throw new CacheRequestException(CacheRequestException.Code.INVALID_REQUEST, e.getMessage());
    }
    CompletableFuture<float[]> vector = pending.vectorFor(request.lookupId(), ns, request.scope(), prompt)
        .map(CompletableFuture::completedFuture)
        .orElseGet(() -> embed(prompt));
    return vector.thenApply(v -> {
      Entry e = storage.store(ns, request.scope(), prompt, request.response(), v, request.ttlSeconds(),
          request.metadata());
      counters(ns).stores.increment();
      return e;
    });
  }

  /** The live entry with this id in this namespace. */
  public Optional<Entry> get(String namespace, String id) {
    return storage.get(validNamespace(namespace), id);
  }

  /** Removes an entry of this namespace; false if there was none. */
  public boolean delete(String namespace, String id) {
    return storage.delete(validNamespace(namespace), id);
  }

  /** Counts of a namespace since start (zeros for one never used). */
  public NamespaceCounters counters(String namespace) {
    return counters.computeIfAbsent(namespace, k -> new NamespaceCounters());
  }

  /** Misses whose embedding is waiting for a store. */
  public long pendingLookups() {
    return pending.size();
  }

  private CompletableFuture<float[]> embed(String prompt) {
    try {
      return embedder.submit(embedder.tokenize(prompt));
    } catch (IllegalArgumentException e) {
      throw new CacheRequestException(CacheRequestException.Code.INVALID_REQUEST, "prompt: " + e.getMessage());
    }
  }

  private static String validNamespace(String ns) {
    try {
      return Namespaces.requireValid(ns);
    } catch (IllegalArgumentException e) {
      throw new CacheRequestException(CacheRequestException.Code.INVALID_REQUEST, e.getMessage());
    }
  }

  private static String validPrompt(String prompt) {
    if (prompt == null || prompt.isBlank()) {
      throw new CacheRequestException(CacheRequestException.Code.INVALID_REQUEST,
          "prompt must be a non-blank string; prompt=" + (prompt == null ? "null" : "'" + prompt + "'"));
    }
    return prompt;
  }

  private static double validThreshold(double t) {
    if (!(t >= 0 && t <= 1)) {
      throw new CacheRequestException(CacheRequestException.Code.INVALID_REQUEST,
          "threshold must be between 0 and 1; threshold=" + t);
    }
    return t;
  }

  private static String newLookupId() {
    return "l" + UUID.randomUUID().toString().replace("-", "");
  }
}
