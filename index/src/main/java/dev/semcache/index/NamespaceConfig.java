package dev.semcache.index;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A namespace's settings. Stored in the {@code namespaces} column family as JSON (see {@link
 * NamespaceConfigCodec}); a missing setting takes its default, so older records stay readable.
 *
 * @param threshold cosine similarity at or above which a semantic lookup hits, 0 to 1
 * @param ttlSeconds time to live of an entry stored without one
 * @param maxTtlSeconds the longest time to live an entry may ask for (and the cap of a sliding TTL)
 * @param maxEntries entries kept at most; storing one more evicts the least recently hit
 * @param slidingTtl whether a hit renews the entry's time to live
 * @param auditRate fraction of semantic hits sent back for audit, 0 to 1
 * @param targetFalseHitRate the false-hit rate an operator accepts, for the recommended threshold
 * @param promptOverflow what happens to a prompt longer than the model's token limit
 * @param answerThreshold similarity of two answers' embeddings at or above which an audit judges a
 *     fresh answer equivalent to the cached one, 0 to 1
 * @param nearMissAuditBand misses whose nearest entry is at most this far below the threshold are
 *     sampled for audit too (at {@code audit_rate}), so that the false-hit rate of lower thresholds is
 *     measured rather than guessed; 0 to 1
 * @param fingerprintWindow proxy mode: how many messages before the last user turn go into the exact
 *     fingerprint of a chat request; -1 (the default) means all of them, 0 none (only the system
 *     prompt(s) and the request's settings), N the last N
 * @param cacheNondeterministic proxy mode: whether answers to requests sampled above temperature 0 (or
 *     without a temperature, whose upstream default is 1) are cached; off by default, since such an
 *     answer is one draw among many
 * @param cacheNonText proxy mode: whether a request whose last user turn has non-text parts (images,
 *     audio, files) is cached exactly (the whole turn in the fingerprint, no semantic match); off by
 *     default: such requests pass through uncached
 * @param decision how a lookup's nearest entry is judged: by the static threshold, or verified per entry
 * @param maxFalseHitRate in {@code verified} mode, the bound δ on the probability that a served semantic
 *     hit is wrong, above 0 and below 1; no lookup below {@code threshold - near_miss_audit_band} is
 *     explored
 * @param maxPromptBytes the longest prompt, in UTF-8 bytes, that a lookup, store or invalidation may
 *     send; a longer one is refused before any work (prompts are held in memory while their lookup is
 *     remembered, so this bounds what one request can pin)
 * @param rateLimitPerS requests a second the namespace may make, all keys together; 0 means no limit
 * @param rateBurst requests that may come at once within that rate; 0 means one second's worth
 * @param maxConcurrentEmbeddings requests that may embed (semantic lookups, stores, invalidations by
 *     similarity) in progress at once in the namespace; 0 means no limit
 * @param secondStageJudge in {@code verified} mode, whether the local second-stage judge turns explores
 *     and served hits in the band below certainty into verdicts, asynchronously (docs/verified.md); off
 *     by default, since it loads a second model and embeds two more texts per judged lookup
 */
public record NamespaceConfig(
    @JsonProperty("threshold") double threshold,
    @JsonProperty("ttl_s") long ttlSeconds,
    @JsonProperty("max_ttl_s") long maxTtlSeconds,
    @JsonProperty("max_entries") long maxEntries,
    @JsonProperty("sliding_ttl") boolean slidingTtl,
    @JsonProperty("audit_rate") double auditRate,
    @JsonProperty("target_false_hit_rate") double targetFalseHitRate,
    @JsonProperty("prompt_overflow") PromptOverflow promptOverflow,
    @JsonProperty("answer_threshold") double answerThreshold,
    @JsonProperty("near_miss_audit_band") double nearMissAuditBand,
    @JsonProperty("fingerprint_window") int fingerprintWindow,
    @JsonProperty("cache_nondeterministic") boolean cacheNondeterministic,
    @JsonProperty("cache_non_text") boolean cacheNonText,
    @JsonProperty("decision") DecisionMode decision,
    @JsonProperty("max_false_hit_rate") double maxFalseHitRate,
    @JsonProperty("max_prompt_bytes") int maxPromptBytes,
    @JsonProperty("rate_limit_per_s") double rateLimitPerS,
    @JsonProperty("rate_burst") int rateBurst,
    @JsonProperty("max_concurrent_embeddings") int maxConcurrentEmbeddings,
    @JsonProperty("second_stage_judge") boolean secondStageJudge) {

  public static final double DEFAULT_THRESHOLD = 0.90;
  public static final long DEFAULT_TTL_S = 86_400;
  public static final long DEFAULT_MAX_TTL_S = 30 * 86_400;
  public static final long DEFAULT_MAX_ENTRIES = 1_000_000;
  public static final double DEFAULT_ANSWER_THRESHOLD = 0.90;
  public static final double DEFAULT_NEAR_MISS_AUDIT_BAND = 0.10;
  public static final int DEFAULT_MAX_PROMPT_BYTES = 64 * 1024;
  /**
   * The longest time to live, 100 years in seconds: far beyond any cache's need, and far below the
   * point where milliseconds since the epoch plus the TTL overflow a long.
   */
  public static final long MAX_TTL_LIMIT_S = 100L * 366 * 86_400;
  /** Every earlier message of a conversation is part of a chat request's fingerprint. */
  public static final int DEFAULT_FINGERPRINT_WINDOW = -1;
  public static final double DEFAULT_MAX_FALSE_HIT_RATE = 0.02;

  @JsonCreator
  public NamespaceConfig {
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new IllegalArgumentException("threshold must be between 0 and 1; threshold=" + threshold);
    }
    if (ttlSeconds <= 0) {
      throw new IllegalArgumentException("ttl_s must be positive; ttl_s=" + ttlSeconds);
    }
    if (maxTtlSeconds < ttlSeconds) {
      throw new IllegalArgumentException("max_ttl_s must be at least ttl_s (" + ttlSeconds + "); max_ttl_s=" + maxTtlSeconds);
    }
    if (maxTtlSeconds > MAX_TTL_LIMIT_S) {
      throw new IllegalArgumentException("max_ttl_s must be at most " + MAX_TTL_LIMIT_S + " (100 years); max_ttl_s="
          + maxTtlSeconds);
    }
    if (maxPromptBytes <= 0) {
      throw new IllegalArgumentException("max_prompt_bytes must be positive; max_prompt_bytes=" + maxPromptBytes);
    }
    if (!(rateLimitPerS >= 0 && rateLimitPerS <= 1e9)) {
      throw new IllegalArgumentException("rate_limit_per_s must be between 0 (no limit) and 1e9; rate_limit_per_s="
          + rateLimitPerS);
    }
    if (rateBurst < 0) {
      throw new IllegalArgumentException("rate_burst must not be negative; rate_burst=" + rateBurst);
    }
    if (maxConcurrentEmbeddings < 0) {
      throw new IllegalArgumentException("max_concurrent_embeddings must not be negative (0 is no limit);"
          + " max_concurrent_embeddings=" + maxConcurrentEmbeddings);
    }
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("max_entries must be positive; max_entries=" + maxEntries);
    }
    if (!(auditRate >= 0 && auditRate <= 1)) {
      throw new IllegalArgumentException("audit_rate must be between 0 and 1; audit_rate=" + auditRate);
    }
    if (!(targetFalseHitRate > 0 && targetFalseHitRate < 1)) {
      throw new IllegalArgumentException("target_false_hit_rate must be above 0 and below 1; target_false_hit_rate="
          + targetFalseHitRate);
    }
    if (!(answerThreshold >= 0 && answerThreshold <= 1)) {
      throw new IllegalArgumentException("answer_threshold must be between 0 and 1; answer_threshold=" + answerThreshold);
    }
    if (!(nearMissAuditBand >= 0 && nearMissAuditBand <= 1)) {
      throw new IllegalArgumentException("near_miss_audit_band must be between 0 and 1; near_miss_audit_band="
          + nearMissAuditBand);
    }
    if (fingerprintWindow < -1) {
      throw new IllegalArgumentException("fingerprint_window must be -1 (every earlier message), 0 or a positive count;"
          + " fingerprint_window=" + fingerprintWindow);
    }
    if (decision == null) {
      throw new IllegalArgumentException("decision must be 'static' or 'verified'; decision=null");
    }
    if (!(maxFalseHitRate > 0 && maxFalseHitRate < 1)) {
      throw new IllegalArgumentException("max_false_hit_rate must be above 0 and below 1; max_false_hit_rate="
          + maxFalseHitRate);
    }
    if (promptOverflow == null) {
      throw new IllegalArgumentException("prompt_overflow must be 'reject' or 'truncate'; prompt_overflow=null");
    }
  }

  /** The settings before proxy mode's: those take their defaults. */
  public NamespaceConfig(double threshold, long ttlSeconds, long maxTtlSeconds, long maxEntries, boolean slidingTtl,
      double auditRate, double targetFalseHitRate, PromptOverflow promptOverflow, double answerThreshold,
      double nearMissAuditBand) {
    this(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate, promptOverflow,
        answerThreshold, nearMissAuditBand, DEFAULT_FINGERPRINT_WINDOW, false, false);
  }

  /** The settings before verified decisions': those take their defaults (static). */
  public NamespaceConfig(double threshold, long ttlSeconds, long maxTtlSeconds, long maxEntries, boolean slidingTtl,
      double auditRate, double targetFalseHitRate, PromptOverflow promptOverflow, double answerThreshold,
      double nearMissAuditBand, int fingerprintWindow, boolean cacheNondeterministic, boolean cacheNonText) {
    this(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate, promptOverflow,
        answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, DecisionMode.STATIC,
        DEFAULT_MAX_FALSE_HIT_RATE, DEFAULT_MAX_PROMPT_BYTES, 0, 0, 0, false);
  }

  /** The settings a namespace starts with. */
  public static NamespaceConfig defaults() {
    return new NamespaceConfig(DEFAULT_THRESHOLD, DEFAULT_TTL_S, DEFAULT_MAX_TTL_S, DEFAULT_MAX_ENTRIES, false, 0.01, 0.02,
        PromptOverflow.REJECT, DEFAULT_ANSWER_THRESHOLD, DEFAULT_NEAR_MISS_AUDIT_BAND);
  }

  /**
   * The time to live of a new entry, in milliseconds.
   *
   * @param requestedSeconds what the gateway asked for, or null for the namespace default
   * @throws IllegalArgumentException if the request is not positive or exceeds {@code max_ttl_s}
   */
  public long ttlMillisFor(Long requestedSeconds) {
    if (requestedSeconds == null) {
      return ttlSeconds * 1000;
    }
    if (requestedSeconds <= 0 || requestedSeconds > maxTtlSeconds) {
      throw new IllegalArgumentException("ttl_s must be between 1 and the namespace's max_ttl_s ("
          + maxTtlSeconds + "); ttl_s=" + requestedSeconds);
    }
    return requestedSeconds * 1000;
  }

  public NamespaceConfig withThreshold(double t) {
    return new NamespaceConfig(t, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate, promptOverflow,
        answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, decision,
        maxFalseHitRate,
        maxPromptBytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, secondStageJudge);
  }

  public NamespaceConfig withAudits(double rate, double answerT, double band) {
    return new NamespaceConfig(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, rate, targetFalseHitRate,
        promptOverflow, answerT, band, fingerprintWindow, cacheNondeterministic, cacheNonText, decision,
        maxFalseHitRate,
        maxPromptBytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, secondStageJudge);
  }

  public NamespaceConfig withMaxEntries(long n) {
    return new NamespaceConfig(threshold, ttlSeconds, maxTtlSeconds, n, slidingTtl, auditRate, targetFalseHitRate, promptOverflow,
        answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, decision,
        maxFalseHitRate,
        maxPromptBytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, secondStageJudge);
  }

  public NamespaceConfig withTtl(long ttl, long maxTtl, boolean sliding) {
    return new NamespaceConfig(threshold, ttl, maxTtl, maxEntries, sliding, auditRate, targetFalseHitRate, promptOverflow,
        answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, decision,
        maxFalseHitRate, maxPromptBytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, secondStageJudge);
  }

  public NamespaceConfig withMaxPromptBytes(int bytes) {
    return new NamespaceConfig(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate,
        promptOverflow, answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, decision,
        maxFalseHitRate, bytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, secondStageJudge);
  }

  public NamespaceConfig withQuotas(double ratePerS, int burst, int maxEmbeddings) {
    return new NamespaceConfig(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate,
        promptOverflow, answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, decision,
        maxFalseHitRate, maxPromptBytes, ratePerS, burst, maxEmbeddings, secondStageJudge);
  }

  /**
   * Whether a prompt is longer than {@code max_prompt_bytes} in UTF-8. Counts bytes only when the
   * character count leaves it open (a character is 1 to 3 bytes).
   */
  public boolean promptTooLong(String prompt) {
    int chars = prompt.length();
    if (chars > maxPromptBytes) {
      return true;
    }
    if ((long) chars * 3 <= maxPromptBytes) {
      return false;
    }
    int bytes = 0;
    for (int i = 0; i < chars; i++) {
      char c = prompt.charAt(i);
      bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : Character.isSurrogate(c) ? 2 : 3; // a pair: 2 + 2
    }
    return bytes > maxPromptBytes;
  }

  /** Proxy mode's settings changed. */
  public NamespaceConfig withProxy(int window, boolean nondeterministic, boolean nonText) {
    return new NamespaceConfig(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate,
        promptOverflow, answerThreshold, nearMissAuditBand, window, nondeterministic, nonText, decision, maxFalseHitRate,
        maxPromptBytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, secondStageJudge);
  }

  /** The second-stage judge turned on or off. */
  public NamespaceConfig withSecondStageJudge(boolean on) {
    return new NamespaceConfig(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate,
        promptOverflow, answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, decision,
        maxFalseHitRate, maxPromptBytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, on);
  }

  /** The decision mode and its bound changed. */
  public NamespaceConfig withDecision(DecisionMode mode, double maxFalse) {
    return new NamespaceConfig(threshold, ttlSeconds, maxTtlSeconds, maxEntries, slidingTtl, auditRate, targetFalseHitRate,
        promptOverflow, answerThreshold, nearMissAuditBand, fingerprintWindow, cacheNondeterministic, cacheNonText, mode,
        maxFalse, maxPromptBytes, rateLimitPerS, rateBurst, maxConcurrentEmbeddings, secondStageJudge);
  }
}
