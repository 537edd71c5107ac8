package dev.semcache.server.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.TokenizedText;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.Match;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Namespaces;
import dev.semcache.index.PromptOverflow;
import dev.semcache.index.Scope;
import dev.semcache.server.audit.Analytics;
import dev.semcache.server.audit.AuditRecord;
import dev.semcache.server.audit.Verdict;
import dev.semcache.server.judge.SecondStageJudge;
import dev.semcache.server.verify.Decision;
import dev.semcache.server.verify.Verifier;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * The cache's decisions, independent of any transport: the exact path, the semantic path under a
 * threshold, lookup ids, namespaces and counts. The HTTP server is a thin adapter around it.
 *
 * <h2>Threads</h2>
 * Every method touches the store and must be called off any event loop. Embedding runs on the {@link
 * ParallelEmbedder}'s workers; the search that follows runs on {@code storageExecutor}, so an embedding
 * worker goes straight back to the model.
 *
 * <h2>Lookup</h2>
 * The exact path (namespace + scope + normalised prompt) answers without embedding. Otherwise the prompt
 * is embedded, the nearest live entry of the partition is found, and it is a hit when its similarity
 * reaches the threshold. A miss remembers its embedding under its lookup id for a short time (see {@link
 * PendingLookups}).
 *
 * <h2>Store</h2>
 * A store that names the lookup id of its miss reuses that embedding when namespace, scope and prompt
 * match; otherwise it embeds the prompt. Error responses of the model are refused ({@link
 * ErrorResponses}). Entries are written to durable storage before the future completes.
 *
 * <h2>Namespaces</h2>
 * With {@code autoCreate}, a store into an unknown namespace creates it with {@code defaults}, and a
 * lookup in an unknown namespace is a miss. Without it, both fail with {@code namespace_not_found}
 * until an administrator creates the namespace.
 */
public final class SemanticCache implements AutoCloseable {
  /** How long a miss keeps its embedding for the store that follows. */
  public static final Duration PENDING_TTL = Duration.ofMinutes(10);

  private final CacheStorage storage;
  private final ParallelEmbedder embedder;
  private final InstantSource clock;
  private final Executor storageExecutor;
  private final boolean autoCreate;
  private final NamespaceConfig defaults;
  private final PendingLookups pending;
  private final Analytics analytics;
  private final Verifier verifier;
  private volatile SecondStageJudge secondStage;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(SemanticCache.class);

  /**
   * What the misses waiting for their store may hold in memory.
   *
   * @param pendingBytes estimated heap bytes of their embeddings, all namespaces together
   * @param namespaceShare the fraction of that one namespace may hold, above 0 and at most 1
   */
  public record MemoryLimits(long pendingBytes, double namespaceShare) {
    public static MemoryLimits defaults() {
      return new MemoryLimits(64L << 20, 0.25);
    }
  }

  public SemanticCache(CacheStorage storage, ParallelEmbedder embedder, InstantSource clock, Executor storageExecutor,
      boolean autoCreate, NamespaceConfig defaults, Analytics.Settings auditSettings) {
    this(storage, embedder, clock, storageExecutor, autoCreate, defaults, auditSettings, MemoryLimits.defaults());
  }

  public SemanticCache(CacheStorage storage, ParallelEmbedder embedder, InstantSource clock, Executor storageExecutor,
      boolean autoCreate, NamespaceConfig defaults, Analytics.Settings auditSettings, MemoryLimits memory) {
    this.storage = storage;
    this.embedder = embedder;
    this.clock = clock;
    this.storageExecutor = storageExecutor;
    this.autoCreate = autoCreate;
    this.defaults = defaults;
    this.pending = new PendingLookups(memory.pendingBytes(), memory.namespaceShare(), PENDING_TTL, clockTicker(clock));
    this.analytics = new Analytics(storage, clock, auditSettings, this::answerSimilarity);
    this.verifier = new Verifier(storage, analytics::counts, clock);
    analytics.onRecorded(verifier::learn);
  }

  /** A cache that creates namespaces on first use with the built-in defaults; search runs where the embedding finished. */
  public SemanticCache(CacheStorage storage, ParallelEmbedder embedder, InstantSource clock) {
    this(storage, embedder, clock, Runnable::run, true, NamespaceConfig.defaults(), Analytics.Settings.defaults());
  }

  private static Ticker clockTicker(InstantSource clock) {
    return () -> clock.millis() * 1_000_000L;
  }

  /**
   * What the exact path found without disk I/O.
   *
   * @param hit the answer, if the prompt is an exact hit whose entry is in memory
   * @param exactAbsentNanos if the exact path is known to have nothing, the time it took to find out
   *     (then {@link #lookup(LookupRequest, long)} skips it); -1 if undecided
   */
  public record MemoryLookup(Optional<LookupResult> hit, long exactAbsentNanos) {}

  private static final MemoryLookup UNDECIDED = new MemoryLookup(Optional.empty(), -1);

  /**
   * The exact path without any disk I/O, for a thread that must not block: the answer if the prompt is
   * an exact hit whose entry is in memory (memtables, block cache); otherwise {@link #lookup} decides.
   * Never embeds.
   *
   * @throws CacheRequestException synchronously if the request is invalid
   */
  public MemoryLookup lookupWithoutIo(LookupRequest request) {
    long start = System.nanoTime();
    String ns = validNamespace(request.namespace());
    String prompt = validPrompt(request.prompt());
    Optional<NamespaceConfig> cached = storage.cachedConfig(ns);
    if (cached.isEmpty()) {
      return UNDECIDED;
    }
    requirePromptFits(prompt, cached.get());
    double threshold = threshold(request, cached.get());
    CacheStorage.ExactProbe probe = storage.probeExact(ns, request.scope(), prompt);
    if (!(probe instanceof CacheStorage.ExactProbe.Hit hit)) {
      return probe instanceof CacheStorage.ExactProbe.Absent
          ? new MemoryLookup(Optional.empty(), System.nanoTime() - start) : UNDECIDED;
    }
    Entry served = storage.recordHit(hit.entry());
    String lookupId = newLookupId();
    analytics.exactHit(ns, lookupId, threshold, prompt, served);
    return new MemoryLookup(Optional.of(new LookupResult(LookupResult.Kind.EXACT, served, 1f, threshold, lookupId,
        new LookupTimings(System.nanoTime() - start, LookupTimings.NOT_RUN, LookupTimings.NOT_RUN), false, null)), -1);
  }

  /** Looks a prompt up: {@link #lookup(LookupRequest, long)} with the exact path. */
  public CompletableFuture<LookupResult> lookup(LookupRequest request) {
    return lookup(request, -1);
  }

  /**
   * Looks a prompt up.
   *
   * @param exactAbsentNanos if not negative, the exact path already found nothing in that time ({@link
   *     #lookupWithoutIo}) and is skipped
   * @throws CacheRequestException synchronously if the request is invalid
   */
  public CompletableFuture<LookupResult> lookup(LookupRequest request, long exactAbsentNanos) {
    long start = System.nanoTime();
    String ns = validNamespace(request.namespace());
    String prompt = validPrompt(request.prompt());
    NamespaceConfig config = existingConfig(ns);
    requirePromptFits(prompt, config);
    double threshold = threshold(request, config);
    String lookupId = newLookupId();
    boolean skipExact = exactAbsentNanos >= 0;
    Optional<Entry> exact = skipExact ? Optional.empty() : storage.findExact(ns, request.scope(), prompt);
    long exactNanos = skipExact ? exactAbsentNanos : System.nanoTime() - start;
    if (exact.isPresent()) {
      Entry hit = storage.recordHit(exact.get());
      analytics.exactHit(ns, lookupId, threshold, prompt, hit);
      return CompletableFuture.completedFuture(new LookupResult(LookupResult.Kind.EXACT, hit, 1f, threshold, lookupId,
          new LookupTimings(exactNanos, LookupTimings.NOT_RUN, LookupTimings.NOT_RUN), false, null));
    }
    long embedStart = System.nanoTime();
    return embed(ns, prompt, config).thenApplyAsync(vector -> {
      long searchStart = System.nanoTime();
      List<Match> nearest = storage.findNearest(ns, request.scope(), vector, 1);
      float similarity = nearest.isEmpty() ? Float.NaN : nearest.get(0).similarity();
      LookupResult.Kind kind;
      Entry hit = null;
      Entry nearestEntry = nearest.isEmpty() ? null : nearest.get(0).entry();
      // verified namespaces decide per entry, unless the lookup names its own threshold
      Decision verified = nearestEntry != null && request.threshold() == null
          && config.decision() == dev.semcache.index.DecisionMode.VERIFIED
          ? verifier.decide(ns, config, nearestEntry, similarity) : null;
      if (verified != null ? verified == Decision.HIT : !nearest.isEmpty() && similarity >= threshold) {
        hit = storage.recordHit(nearestEntry);
        kind = LookupResult.Kind.SEMANTIC;
      } else {
        pending.remember(lookupId, ns, request.scope(), prompt, vector);
        kind = verified == Decision.EXPLORE ? LookupResult.Kind.EXPLORE : LookupResult.Kind.MISS;
      }
      boolean audit = analytics.semanticLookup(ns, config, lookupId, threshold, prompt, hit != null ? hit : nearestEntry,
          similarity, hit != null, kind == LookupResult.Kind.EXPLORE);
      if (verified != null && config.secondStageJudge() && (kind == LookupResult.Kind.EXPLORE ? audit
          : kind == LookupResult.Kind.SEMANTIC && !audit && similarity < threshold + config.nearMissAuditBand())) {
        judgeLater(ns, lookupId, prompt, nearestEntry.prompt(), similarity);
      }
      long end = System.nanoTime();
      return new LookupResult(kind, hit, similarity, threshold, lookupId,
          new LookupTimings(exactNanos, searchStart - embedStart, end - searchStart), audit,
          audit && hit == null ? nearestEntry : null);
    }, storageExecutor);
  }

  /**
   * Stores an answer.
   *
   * @throws CacheRequestException synchronously if the request is invalid
   */
  public CompletableFuture<StoreResult> store(StoreRequest request) {
    String ns = validNamespace(request.namespace());
    String prompt = validPrompt(request.prompt());
    if (request.response() == null) {
      throw CacheRequestException.invalid("response must be a string");
    }
    ErrorResponses.whyUncacheable(request.response(), request.modelStatus()).ifPresent(why -> {
      throw new CacheRequestException(CacheRequestException.Code.UNCACHEABLE_RESPONSE, why);
    });
    NamespaceConfig config = existingConfig(ns);
    requirePromptFits(prompt, config);
    try {
      config.ttlMillisFor(request.ttlSeconds());
    } catch (IllegalArgumentException e) {
      throw CacheRequestException.invalid(e.getMessage());
    }
    Optional<float[]> reused = pending.vectorFor(request.lookupId(), ns, request.scope(), prompt);
    CompletableFuture<float[]> vector = reused.map(CompletableFuture::completedFuture).orElseGet(() -> embed(ns, prompt, config));
    return vector.thenApplyAsync(v -> {
      if (autoCreate) {
        storage.createConfigIfAbsent(ns, defaults); // only now: a refused store changes nothing
      }
      Entry e = storage.store(ns, request.scope(), prompt, request.response(), v, request.ttlSeconds(),
          request.metadata());
      analytics.stored(ns);
      analytics.sampledNearMiss(ns, request.lookupId())
          .ifPresent(nearMiss -> analytics.auditByStore(nearMiss, config, request.response()));
      return new StoreResult(e, reused.isPresent());
    }, storageExecutor);
  }

  /** The live entry with this id in this namespace. */
  public Optional<Entry> get(String namespace, String id) {
    return storage.get(validNamespace(namespace), id);
  }

  /** Removes an entry of this namespace; false if there was none. */
  public boolean delete(String namespace, String id) {
    String ns = validNamespace(namespace);
    boolean removed = storage.delete(ns, id);
    if (removed) {
      verifier.forget(ns, id);
    }
    return removed;
  }

  /** Removes every entry of a namespace stored under a scope; returns how many. */
  public int invalidate(String namespace, Scope scope) {
    String ns = validNamespace(namespace);
    existingConfig(ns);
    return storage.invalidate(ns, scope);
  }

  /**
   * Removes the entries of (namespace, scope) whose prompts are at least {@code minSimilarity} similar
   * to {@code prompt} (at most {@code limit} of them); returns how many.
   */
  public CompletableFuture<Integer> invalidateSimilar(String namespace, Scope scope, String prompt,
      double minSimilarity, int limit) {
    String ns = validNamespace(namespace);
    String p = validPrompt(prompt);
    NamespaceConfig config = existingConfig(ns);
    requirePromptFits(p, config);
    if (!(minSimilarity >= 0 && minSimilarity <= 1)) {
      throw CacheRequestException.invalid("min_similarity must be between 0 and 1; min_similarity=" + minSimilarity);
    }
    return embed(ns, p, config).thenApplyAsync(vector -> {
      int removed = 0;
      for (Match m : storage.findNearest(ns, scope, vector, limit)) {
        if (m.similarity() >= minSimilarity && storage.delete(ns, m.entry().id())) {
          removed++;
        }
      }
      return removed;
    }, storageExecutor);
  }

  /** The config in effect for a namespace. */
  public NamespaceConfig namespaceConfig(String namespace) {
    return existingConfig(validNamespace(namespace));
  }

  /** The namespace's config if it is held in memory (no store access), for checks on an event loop. */
  public Optional<NamespaceConfig> cachedNamespaceConfig(String namespace) {
    return storage.cachedConfig(validNamespace(namespace));
  }

  /** Whether the namespace has been created (explicitly or by a first store). */
  public boolean namespaceExists(String namespace) {
    return storage.storedConfig(validNamespace(namespace)).isPresent();
  }

  /** Creates or changes a namespace's config. */
  public void putNamespace(String namespace, NamespaceConfig config) {
    storage.putConfig(validNamespace(namespace), config);
  }

  /** The defaults a new namespace starts with. */
  public NamespaceConfig namespaceDefaults() {
    return defaults;
  }

  public List<String> namespaces() {
    return storage.namespaces();
  }

  /**
   * Judges a lookup that was sampled for audit, by the gateway's verdict or by the fresh answer.
   *
   * @throws CacheRequestException synchronously if the lookup cannot be audited
   */
  public CompletableFuture<AuditRecord> audit(String namespace, String lookupId, String freshResponse, Verdict verdict,
      boolean invalidate) {
    String ns = validNamespace(namespace);
    NamespaceConfig config = existingConfig(ns);
    if ((freshResponse == null) == (verdict == null)) {
      throw CacheRequestException.invalid("give either 'fresh_response' (the model's answer now) or 'verdict'"
          + " ('correct' or 'false_hit'), not both and not neither");
    }
    return analytics.audit(ns, config, lookupId, freshResponse, verdict, invalidate);
  }

  /** Records feedback on a served hit. */
  public AuditRecord feedback(String namespace, String lookupId, Verdict verdict, boolean invalidate) {
    String ns = validNamespace(namespace);
    existingConfig(ns);
    return analytics.feedback(ns, lookupId, verdict, invalidate);
  }

  /**
   * Asks the second-stage judge about an explore or a served hit in the band below certainty (docs/verified.md),
   * off the lookup's path; its verdict is recorded (labelled {@code second_stage}) unless the lookup has one by then.
   */
  private void judgeLater(String ns, String lookupId, String prompt, String matched, double similarity) {
    SecondStageJudge j;
    try {
      j = secondStage();
      j.judge(prompt, matched, similarity).thenAcceptAsync(p -> {
        Boolean same = p == null ? null : SecondStageJudge.verdict(p);
        if (same != null) { // unsure: no verdict; an explore waits for the gateway's store as usual
          analytics.secondStageVerdict(ns, lookupId, same ? Verdict.CORRECT : Verdict.FALSE_HIT, p);
        }
      }, storageExecutor).whenComplete((x, e) -> {
        if (e != null) {
          LOG.warn("second-stage judge: lookup {} of namespace {} not judged: {}", lookupId, ns, e.toString());
        }
      });
    } catch (RuntimeException e) {
      LOG.warn("second-stage judge: lookup {} of namespace {} not judged: {}", lookupId, ns, e.toString());
    }
  }

  /** The second-stage judge, made on first use (its second model loads on its first judgement). */
  public SecondStageJudge secondStage() {
    SecondStageJudge j = secondStage;
    if (j == null) {
      synchronized (this) {
        if (secondStage == null) {
          secondStage = SecondStageJudge.bundled(embedder.model().name());
        }
        j = secondStage;
      }
    }
    return j;
  }

  /** Uses this judge (e.g. one sharing a loaded second model) instead of making one on first use. */
  public synchronized void useSecondStage(SecondStageJudge judge) {
    if (secondStage != null && secondStage != judge) {
      secondStage.close();
    }
    secondStage = judge;
  }

  /** What verified namespaces decide and learn. */
  public Verifier verifier() {
    return verifier;
  }

  /** Statistics, audits and the what-if analysis. */
  public Analytics analytics() {
    return analytics;
  }

  /** Similarity of two answers: both embedded (a long one by its first tokens), then their dot product. */
  private CompletableFuture<Double> answerSimilarity(String a, String b) {
    return embedder.submit(embedder.tokenize(a)).thenCombine(embedder.submit(embedder.tokenize(b)),
        (x, y) -> (double) dev.semcache.embedding.Vectors.dot(x, y));
  }

  /** Writes the statistics; the storage is closed by its owner afterwards. */
  @Override
  public void close() {
    SecondStageJudge j = secondStage;
    if (j != null) {
      j.close();
    }
    verifier.close();
    analytics.close();
  }

  /** Misses whose embedding is waiting for a store. */
  public long pendingLookups() {
    return pending.size();
  }

  /** Heap bytes (estimated) held by the misses' embeddings waiting for a store; bounded by {@code limits.pending_bytes}. */
  public long pendingBytes() {
    return pending.bytes();
  }

  /** Heap bytes (estimated) of the lookups remembered for audits and feedback; see {@code limits.remembered_bytes}. */
  public long rememberedBytes() {
    return analytics.rememberedBytes();
  }

  /** Estimated heap bytes of the misses waiting for a store; of one namespace's with a name. */
  public long pendingBytes(String namespace) {
    return namespace == null ? pending.bytes() : pending.bytes(namespace);
  }

  /** Live and not yet swept entries of a namespace. */
  public long entryCount(String namespace) {
    return storage.entryCount(validNamespace(namespace));
  }

  public ParallelEmbedder embedder() {
    return embedder;
  }

  public InstantSource clock() {
    return clock;
  }

  private NamespaceConfig existingConfig(String ns) {
    Optional<NamespaceConfig> stored = storage.storedConfig(ns);
    if (stored.isPresent()) {
      return stored.get();
    }
    if (autoCreate) {
      return defaults;
    }
    throw new CacheRequestException(CacheRequestException.Code.NAMESPACE_NOT_FOUND,
        "namespace '" + ns + "' does not exist; an admin creates it with PUT /v1/namespaces/" + ns);
  }

  /** Embeds for a namespace: its turn in the embedder's fair queue. */
  private CompletableFuture<float[]> embed(String namespace, String prompt, NamespaceConfig config) {
    TokenizedText tokens;
    try {
      tokens = embedder.tokenize(prompt);
    } catch (IllegalArgumentException e) {
      throw CacheRequestException.invalid("prompt: " + e.getMessage());
    }
    if (tokens.truncated() && config.promptOverflow() == PromptOverflow.REJECT) {
      throw new CacheRequestException(CacheRequestException.Code.PROMPT_TOO_LONG,
          "prompt is longer than the " + embedder.model().maxTokens() + " tokens the model "
              + embedder.model().name() + " reads, and this namespace's prompt_overflow is 'reject'"
              + " (set it to 'truncate' to embed the first " + embedder.model().maxTokens() + " tokens)");
    }
    return embedder.submit(namespace, tokens);
  }

  private static String validNamespace(String ns) {
    try {
      return Namespaces.requireValid(ns);
    } catch (IllegalArgumentException e) {
      throw CacheRequestException.invalid(e.getMessage());
    }
  }

  private static String validPrompt(String prompt) {
    if (prompt == null || prompt.isBlank()) {
      throw CacheRequestException.invalid(
          "prompt must be a non-blank string; prompt=" + (prompt == null ? "null" : "'" + prompt + "'"));
    }
    return prompt;
  }

  private static void requirePromptFits(String prompt, NamespaceConfig config) {
    if (config.promptTooLong(prompt)) {
      throw new CacheRequestException(CacheRequestException.Code.PROMPT_TOO_LONG, "prompt is longer than this"
          + " namespace's max_prompt_bytes (" + config.maxPromptBytes() + " bytes of UTF-8); prompt has "
          + prompt.length() + " characters");
    }
  }

  /** The threshold of a lookup: the namespace's, or the request's override if the caller may use it. */
  private static double threshold(LookupRequest request, NamespaceConfig config) {
    if (request.threshold() == null) {
      return config.threshold();
    }
    double t = validThreshold(request.threshold());
    if (t < config.threshold() && !request.mayLowerThreshold()) {
      throw new CacheRequestException(CacheRequestException.Code.THRESHOLD_NOT_ALLOWED, "a read-only key may raise"
          + " the threshold of a lookup, not lower it below the namespace's (" + config.threshold() + "): a lower"
          + " one would serve, count and renew entries for everyone; threshold=" + t);
    }
    return t;
  }

  private static double validThreshold(double t) {
    if (!(t >= 0 && t <= 1)) {
      throw CacheRequestException.invalid("threshold must be between 0 and 1; threshold=" + t);
    }
    return t;
  }

  private String newLookupId() {
    return Analytics.newLookupId(clock.millis());
  }
}
