package dev.semcache.server.audit;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.server.cache.CacheRequestException;
import dev.semcache.server.cache.CacheRequestException.Code;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real hit rates and audited false-hit rates, per namespace: the statistics every lookup feeds, the
 * sampling of lookups for audit, the judging and durable recording of audits and feedback, and the
 * what-if analysis ({@link ThresholdCurve}).
 *
 * <h2>Sampling</h2>
 * A semantic hit is sampled for audit with probability {@code audit_rate}; so is a <em>near miss</em>,
 * a miss whose nearest entry lies less than {@code near_miss_audit_band} below the threshold. The
 * gateway calls the model anyway for a sampled hit and posts the fresh answer; for a miss it calls the
 * model in any case, and the store that follows (with the lookup id) is judged against the nearest
 * entry by itself. Because hits and near misses are sampled at the same rate, the verdicts at or above
 * any threshold down to the audit floor are a uniform sample of the would-be hits there.
 *
 * <h2>Durability</h2>
 * Each verdict is written through the write-ahead log before it is acknowledged (key {@code
 * audit/NAMESPACE/LOOKUP_ID}, or {@code feedback/...}); verdict counts are rebuilt from these records
 * on start. Lookup statistics are written every second and on close: a process crash loses at most a
 * second of lookup counts, never a verdict.
 *
 * <h2>Several nodes</h2>
 * Nodes that share a clustered storage each count their own lookups and write them under a key of
 * their own ({@code stats/NAMESPACE/NODE_ID}, {@link CacheStorage#nodeId}), so that no node overwrites
 * another's increments; the answers ({@link #totals}) add up every node's record, re-read every {@link
 * #RELOAD_INTERVAL}, and verdict counts are rebuilt from the verdict records every {@link
 * #VERDICT_RELOAD_INTERVAL}. An embedded storage has one node ({@code local}); its statistics written by
 * an older build under {@code stats/NAMESPACE} are read and moved to the new key on the first flush. Remembered lookups (for
 * audits and feedback) live in memory for the audit window; an audit of a lookup from before a restart
 * is refused as expired.
 */
public final class Analytics implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Analytics.class);
  static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
  static final Duration FLUSH_INTERVAL = Duration.ofSeconds(1);

  /** Compares a fresh answer with a cached one: their embeddings' cosine similarity. */
  @FunctionalInterface
  public interface AnswerSimilarity {
    CompletableFuture<Double> between(String freshAnswer, String cachedAnswer);
  }

  /**
   * @param window how long after a lookup an audit or a feedback may name it
   * @param rememberedLookups lookups remembered at most for that (hits and sampled near misses)
   * @param seed seed of the audit sampling for reproducible experiments, or null for a random one
   * @param retention how long verdicts are kept (and count in the estimates), by the lookup's time
   */
  public record Settings(Duration window, long rememberedLookups, Long seed, Duration retention, long rememberedBytes,
      double namespaceShare) {
    /** Estimated heap bytes of remembered lookups, all namespaces together, by default. */
    public static final long DEFAULT_REMEMBERED_BYTES = 64L << 20;
    /** The fraction of the remembered lookups' bytes and slots one namespace may hold, by default. */
    public static final double DEFAULT_NAMESPACE_SHARE = 0.25;

    /** With the default byte bound and namespace share. */
    public Settings(Duration window, long rememberedLookups, Long seed, Duration retention) {
      this(window, rememberedLookups, seed, retention, DEFAULT_REMEMBERED_BYTES, DEFAULT_NAMESPACE_SHARE);
    }

    public static Settings defaults() {
      return new Settings(Duration.ofHours(1), 200_000, null, Duration.ofDays(30));
    }
  }

  /** How often a node of a cluster re-reads the statistics the other nodes wrote. */
  static final Duration RELOAD_INTERVAL = Duration.ofSeconds(5);
  /** How often a node of a cluster rebuilds its verdict counts from every node's verdict records. */
  static final Duration VERDICT_RELOAD_INTERVAL = Duration.ofSeconds(60);
  /** The node id of an embedded storage, the only node of its data. */
  static final String LOCAL = "local";

  /** How often verdicts older than the retention are removed. */
  static final Duration RETENTION_SWEEP_INTERVAL = Duration.ofHours(1);

  private final CacheStorage storage;
  private final InstantSource clock;
  private final Settings settings;
  private final AnswerSimilarity answers;
  private final long startedAtMillis;
  /** This node's statistics, by namespace: what its lookups count and what it writes. */
  private final Map<String, NamespaceStats> stats = new ConcurrentHashMap<>();
  /**
   * One String per namespace name for the remembered lookups: each request parses its own copy, and the
   * table compares a new lookup's namespace with the one it displaces; the same instance makes that an
   * identity check instead of a read of the old copy's characters, cold in memory by then, and keeps one
   * copy alive instead of one per remembered lookup.
   */
  private final Map<String, String> names = new ConcurrentHashMap<>();
  /** The other nodes' statistics added up, by namespace, as of the last re-read. */
  private volatile Map<String, NamespaceStats> others = Map.of();
  /** Records under the key of an older build, removed by the first flush that rewrites them. */
  private final java.util.Set<String> legacyKeys = ConcurrentHashMap.newKeySet();
  private final String nodeId;
  private volatile Map<String, AuditCounts> counts = new ConcurrentHashMap<>();
  private final RecentLookups remembered;
  private final SplittableRandom seeded;
  private final ScheduledExecutorService flusher;
  private volatile java.util.function.Consumer<AuditRecord> recorded = r -> { };

  /** Calls {@code listener} (too) with every verdict once it is recorded (for metrics, for verified namespaces). */
  public synchronized void onRecorded(java.util.function.Consumer<AuditRecord> listener) {
    this.recorded = this.recorded.andThen(listener);
  }

  public Analytics(CacheStorage storage, InstantSource clock, Settings settings, AnswerSimilarity answers) {
    this.storage = storage;
    this.clock = clock;
    this.settings = settings;
    this.answers = answers;
    this.nodeId = storage.nodeId();
    this.startedAtMillis = clock.millis();
    this.remembered = new RecentLookups(settings.rememberedLookups(), settings.window().toMillis(),
        settings.rememberedBytes(), settings.namespaceShare());
    this.seeded = settings.seed() == null ? null : new SplittableRandom(settings.seed());
    load();
    this.flusher = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "semcache-analytics-flush");
      t.setDaemon(true);
      return t;
    });
    flusher.scheduleWithFixedDelay(() -> {
      try {
        flush();
      } catch (RuntimeException e) {
        LOG.error("writing lookup statistics failed; will retry in {}", FLUSH_INTERVAL, e);
      }
    }, FLUSH_INTERVAL.toMillis(), FLUSH_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    flusher.scheduleWithFixedDelay(() -> {
      try {
        removeExpiredVerdicts();
      } catch (RuntimeException e) {
        LOG.error("removing old audit verdicts failed; will retry in {}", RETENTION_SWEEP_INTERVAL, e);
      }
    }, 0, RETENTION_SWEEP_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    if (!LOCAL.equals(nodeId)) {
      flusher.scheduleWithFixedDelay(() -> {
        try {
          reloadOthers();
        } catch (RuntimeException e) {
          LOG.warn("re-reading the other nodes' statistics failed ({}); will retry in {}", e.getMessage(), RELOAD_INTERVAL);
        }
      }, RELOAD_INTERVAL.toMillis(), RELOAD_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
      flusher.scheduleWithFixedDelay(() -> {
        try {
          reloadVerdictCounts();
        } catch (RuntimeException e) {
          LOG.warn("re-reading the verdict records failed ({}); will retry in {}", e.getMessage(),
              VERDICT_RELOAD_INTERVAL);
        }
      }, VERDICT_RELOAD_INTERVAL.toMillis(), VERDICT_RELOAD_INTERVAL.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  /** The node a statistics key belongs to: {@code stats/NS/NODE}, or {@code stats/NS} of an older build. */
  private record StatsKey(String namespace, String node) {
    static StatsKey parse(String key) {
      String rest = key.substring("stats/".length());
      int slash = rest.indexOf('/');
      return slash < 0 ? new StatsKey(rest, null) : new StatsKey(rest.substring(0, slash), rest.substring(slash + 1));
    }
  }

  private NamespaceStats decodeStats(String ns, byte[] value) {
    try {
      return NamespaceStats.fromStored(ns, JSON.readValue(value, NamespaceStats.Stored.class));
    } catch (IOException e) {
      throw new IllegalStateException("statistics of namespace " + ns + " are not readable: " + e.getMessage(), e);
    }
  }

  /** Whether a statistics record is this node's own (an older build's record is the embedded node's). */
  private boolean own(StatsKey k) {
    return k.node() == null ? LOCAL.equals(nodeId) : k.node().equals(nodeId);
  }

  /** Re-reads the statistics of every other node, added up by namespace. */
  public void reloadOthers() {
    Map<String, java.util.List<NamespaceStats>> parts = new HashMap<>();
    storage.forEachRecord("stats/", (key, value) -> {
      StatsKey k = StatsKey.parse(key);
      if (!own(k)) {
        parts.computeIfAbsent(k.namespace(), x -> new java.util.ArrayList<>()).add(decodeStats(k.namespace(), value));
      }
    });
    Map<String, NamespaceStats> summed = new HashMap<>();
    parts.forEach((ns, list) -> summed.put(ns, NamespaceStats.sum(ns, list)));
    others = Map.copyOf(summed);
  }

  /** Rebuilds the verdict counts from the verdict records of every node. */
  public void reloadVerdictCounts() {
    Map<String, AuditCounts> fresh = new ConcurrentHashMap<>();
    for (String prefix : new String[] {"audit/", "feedback/"}) {
      storage.forEachRecord(prefix, (key, value) -> {
        AuditRecord r = decode(key, value);
        fresh.computeIfAbsent(r.namespace(), ns -> new AuditCounts()).add(r);
      });
    }
    counts = fresh;
  }

  /**
   * The statistics of a namespace as answers show them: this node's added to every other node's (as of
   * the last re-read). The lookup path counts into {@link #stats}, this node's own.
   */
  public NamespaceStats totals(String namespace) {
    NamespaceStats mine = stats(namespace);
    NamespaceStats theirs = others.get(namespace);
    return theirs == null ? mine : NamespaceStats.sum(namespace, java.util.List.of(mine, theirs));
  }

  /**
   * Removes the verdicts of lookups older than the retention, and takes them out of the counts: the
   * estimates describe recent traffic, and the records do not grow without bound. Keys sort by lookup
   * time within a namespace (the lookup id starts with its time), but the scan reads them all; it runs
   * hourly, off the request path.
   *
   * @return how many were removed
   */
  public int removeExpiredVerdicts() {
    long cutoff = clock.millis() - settings.retention().toMillis();
    Map<String, byte[]> deletes = new HashMap<>();
    java.util.List<AuditRecord> removed = new java.util.ArrayList<>();
    for (String prefix : new String[] {"audit/", "feedback/", JUDGED_PREFIX}) {
      storage.forEachRecord(prefix, (key, value) -> {
        String lookupId = key.substring(key.lastIndexOf('/') + 1);
        if (lookupTime(lookupId) < cutoff) {
          deletes.put(key, null);
          if (!key.startsWith(JUDGED_PREFIX)) {
            removed.add(decode(key, value));
          }
        }
      });
    }
    if (deletes.isEmpty()) {
      return 0;
    }
    storage.putRecords(deletes);
    for (AuditRecord r : removed) {
      counts(r.namespace()).remove(r);
    }
    LOG.info("removed {} audit verdicts of lookups before {} (audits.retention_days)", removed.size(),
        Instant.ofEpochMilli(cutoff));
    return removed.size();
  }

  private void load() {
    long t0 = System.nanoTime();
    int[] n = new int[2];
    Map<String, java.util.List<NamespaceStats>> mine = new HashMap<>();
    Map<String, java.util.List<NamespaceStats>> theirs = new HashMap<>();
    storage.forEachRecord("stats/", (key, value) -> {
      StatsKey k = StatsKey.parse(key);
      (own(k) ? mine : theirs).computeIfAbsent(k.namespace(), x -> new java.util.ArrayList<>())
          .add(decodeStats(k.namespace(), value));
      if (own(k) && k.node() == null) {
        legacyKeys.add(key);
        stats(k.namespace()).dirty = true;
      }
      n[0]++;
    });
    mine.forEach((ns, list) -> {
      NamespaceStats s = NamespaceStats.sum(ns, list);
      s.dirty = legacyKeys.contains("stats/" + ns);
      stats.put(ns, s);
    });
    Map<String, NamespaceStats> summed = new HashMap<>();
    theirs.forEach((ns, list) -> summed.put(ns, NamespaceStats.sum(ns, list)));
    others = Map.copyOf(summed);
    for (String prefix : new String[] {"audit/", "feedback/"}) {
      storage.forEachRecord(prefix, (key, value) -> {
        AuditRecord r = decode(key, value);
        counts(r.namespace()).add(r);
        n[1]++;
      });
    }
    if (n[0] + n[1] > 0) {
      LOG.info("statistics of {} namespaces and {} audit verdicts loaded in {} ms", n[0], n[1],
          (System.nanoTime() - t0) / 1_000_000);
    }
  }

  static AuditRecord decode(String key, byte[] value) {
    try {
      AuditRecord r = JSON.readValue(value, AuditRecord.class);
      if (r.format() != AuditRecord.FORMAT && r.format() != AuditRecord.FORMAT_WITH_JUDGE) {
        throw new IllegalStateException("audit record " + key + " has format " + r.format() + "; this build reads "
            + AuditRecord.FORMAT + " and " + AuditRecord.FORMAT_WITH_JUDGE);
      }
      return r;
    } catch (IOException e) {
      throw new IllegalStateException("audit record " + key + " is not readable: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ lookup ids

  private static final java.util.HexFormat HEX = java.util.HexFormat.of();
  /**
   * Random bytes for lookup ids, drawn from a per-thread DRBG a block at a time: one DRBG call per id
   * cost more than the rest of an exact hit's id (20 of 348 event-loop samples under load, JFR,
   * bench/README.md); a block serves {@code RANDOM_BLOCK / 10} ids with the same unguessable bits.
   */
  private static final int RANDOM_BLOCK = 1000;
  private static final ThreadLocal<RandomBlock> ID_RANDOM = ThreadLocal.withInitial(RandomBlock::new);

  private static final class RandomBlock {
    private final java.security.SecureRandom random;
    private final byte[] bytes = new byte[RANDOM_BLOCK];
    private int used = RANDOM_BLOCK;

    RandomBlock() {
      java.security.SecureRandom r;
      try {
        r = java.security.SecureRandom.getInstance("DRBG");
      } catch (java.security.NoSuchAlgorithmException e) {
        r = new java.security.SecureRandom();
      }
      random = r;
    }

    /** The offset in {@link #bytes} of {@code n} fresh random bytes, never handed out before. */
    int take(int n) {
      if (used + n > bytes.length) {
        random.nextBytes(bytes);
        used = 0;
      }
      int at = used;
      used += n;
      return at;
    }
  }

  private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

  /**
   * A new lookup id: {@code l}, the lookup's time in milliseconds (12 hex digits), and 80 random bits
   * (20 hex digits) from a per-thread DRBG. The time lets an audit of an old lookup be told "expired"
   * rather than "unknown"; the random part keeps ids unguessable.
   */
  public static String newLookupId(long nowMillis) {
    char[] id = new char[33];
    id[0] = 'l';
    for (int i = 12; i >= 1; i--) {
      id[i] = HEX_DIGITS[(int) (nowMillis & 0xf)];
      nowMillis >>>= 4;
    }
    RandomBlock block = ID_RANDOM.get();
    int at = block.take(10);
    for (int i = 0; i < 10; i++) {
      int b = block.bytes[at + i];
      id[13 + 2 * i] = HEX_DIGITS[(b >> 4) & 0xf];
      id[14 + 2 * i] = HEX_DIGITS[b & 0xf];
    }
    return new String(id);
  }

  /** The time encoded in a lookup id. */
  static long lookupTime(String lookupId) {
    return HEX.fromHexDigitsToLong(lookupId, 1, 13);
  }

  // ------------------------------------------------------------------ the lookup path

  /** The one instance of this namespace's name (see {@link #names}); only names of namespaces with entries reach it. */
  private String name(String namespace) {
    String n = names.get(namespace);
    return n != null ? n : names.computeIfAbsent(namespace, k -> k);
  }

  public NamespaceStats stats(String namespace) {
    return stats.computeIfAbsent(namespace, ns -> {
      NamespaceStats s = new NamespaceStats(clock.millis());
      s.dirty = true;
      return s;
    });
  }

  public AuditCounts counts(String namespace) {
    return counts.computeIfAbsent(namespace, ns -> new AuditCounts());
  }

  /** Counts an exact hit and remembers it for feedback. Cheap: runs on the event loop. */
  public void exactHit(String namespace, String lookupId, double threshold, String prompt, Entry served) {
    long now = clock.millis();
    NamespaceStats s = stats(namespace);
    s.lookups.increment();
    s.exactHits.increment();
    s.countMinute(now, true);
    s.dirty = true;
    // No prompt kept: it is the entry's, read back if a verdict comes (see record). Remembering it made every
    // exact hit keep its decoded prompt alive for the table's lifetime, which the garbage collector and cold
    // cache lines paid for: with this and the shared namespace name, the exact path's median CPU per hit fell
    // from 26.6 to 21.8 µs in an alternated A/B (bench/README.md, issue 15).
    remembered.put(new ServedLookup(name(namespace), lookupId, ServedLookup.EXACT, 1.0, threshold, null, null,
        served.id(), null, false, now), now);
  }

  /**
   * Counts a semantic-path lookup, decides whether it is sampled for audit, and remembers it if it may
   * be audited or receive feedback.
   *
   * @param nearest the served entry of a hit, the nearest entry of a miss, or null if there was none
   * @param hit whether it was served
   * @return whether the answer asks for an audit
   */
  public boolean semanticLookup(String namespace, NamespaceConfig config, String lookupId, double threshold,
      String prompt, Entry nearest, double similarity, boolean hit) {
    return semanticLookup(namespace, config, lookupId, threshold, prompt, nearest, similarity, hit, false);
  }

  /**
   * As above; {@code explore} (a miss of a verified namespace that asks for a verdict on its nearest
   * entry) is always sampled, and is audited like a near miss.
   */
  public boolean semanticLookup(String namespace, NamespaceConfig config, String lookupId, double threshold,
      String prompt, Entry nearest, double similarity, boolean hit, boolean explore) {
    long now = clock.millis();
    NamespaceStats s = stats(namespace);
    s.lookups.increment();
    (hit ? s.semanticHits : s.misses).increment();
    if (nearest != null) {
      (hit ? s.hits : s.missed).add(similarity);
    }
    s.countMinute(now, hit);
    s.dirty = true;
    double rate = config.auditRate();
    if (rate > 0) {
      s.lowerAuditFloor(threshold - config.nearMissAuditBand());
    }
    boolean nearMiss = !hit && nearest != null && similarity >= threshold - config.nearMissAuditBand();
    boolean sampled = explore || (hit || nearMiss) && rate > 0 && draw() < rate;
    if (hit || sampled) {
      ServedLookup kept = remembered.put(new ServedLookup(name(namespace), lookupId,
          hit ? ServedLookup.SEMANTIC : ServedLookup.NEAR_MISS, similarity, threshold, prompt, nearest.prompt(),
          nearest.id(), sampled ? nearest.response() : null, sampled, now), now);
      sampled = kept != null && kept.sampled(); // a lookup not remembered whole cannot be audited: do not ask
    }
    if (sampled) {
      s.sampled.increment();
    }
    return sampled;
  }

  private double draw() {
    if (seeded == null) {
      return ThreadLocalRandom.current().nextDouble();
    }
    synchronized (seeded) {
      return seeded.nextDouble();
    }
  }

  public void stored(String namespace) {
    NamespaceStats s = stats(namespace);
    s.stores.increment();
    s.dirty = true;
  }

  /** The remembered near miss that a store (with its lookup id) may settle, if it was sampled for audit. */
  public Optional<ServedLookup> sampledNearMiss(String namespace, String lookupId) {
    if (lookupId == null) {
      return Optional.empty();
    }
    ServedLookup l = remembered.get(lookupId, clock.millis());
    return l != null && l.sampled() && !l.hit() && l.namespace().equals(namespace) && !l.isAudited()
        ? Optional.of(l) : Optional.empty();
  }

  // ------------------------------------------------------------------ audits and feedback

  /**
   * Judges a sampled lookup: by the gateway's verdict if given, else by comparing the fresh answer with
   * the cached one. Durable before the future completes.
   *
   * @param invalidate remove the entry if the verdict is false_hit
   */
  public CompletableFuture<AuditRecord> audit(String namespace, NamespaceConfig config, String lookupId,
      String freshResponse, Verdict verdict, boolean invalidate) {
    ServedLookup l = find(namespace, lookupId);
    if (!l.sampled()) {
      throw new CacheRequestException(Code.NOT_SAMPLED, "lookup " + lookupId + " was not sampled for audit (its answer"
          + " said audit: false); audit only sampled lookups, so that the false-hit rate stays an unbiased estimate."
          + " Use POST /v1/feedback to flag a served hit as wrong");
    }
    return judge(l, config, freshResponse, verdict, invalidate);
  }

  /** Settles a sampled near miss with the answer its store brought (no call from the gateway needed). */
  public void auditByStore(ServedLookup nearMiss, NamespaceConfig config, String freshResponse) {
    try {
      judge(nearMiss, config, freshResponse, null, false).whenComplete((r, e) -> {
        if (e != null) {
          LOG.warn("audit of near miss {} by its store failed: {}", nearMiss.lookupId(), e.toString());
        }
      });
    } catch (RuntimeException e) { // already audited, or the embedding queue is full: the store stands
      LOG.debug("near miss {} not audited by its store: {}", nearMiss.lookupId(), e.toString());
    }
  }

  private CompletableFuture<AuditRecord> judge(ServedLookup l, NamespaceConfig config, String fresh, Verdict given,
      boolean invalidate) {
    if (!l.claimAudit()) {
      throw new CacheRequestException(Code.ALREADY_AUDITED, "lookup " + l.lookupId() + " already has its audit verdict");
    }
    CompletableFuture<Judgement> judgement;
    if (given != null) {
      judgement = CompletableFuture.completedFuture(new Judgement(given, VerdictSource.GATEWAY, null));
    } else if (fresh.strip().equals(l.response().strip())) {
      judgement = CompletableFuture.completedFuture(new Judgement(Verdict.CORRECT, VerdictSource.IDENTICAL, null));
    } else {
      double bar = config.answerThreshold();
      try {
        judgement = answers.between(fresh, l.response()).thenApply(sim -> new Judgement(
            sim >= bar ? Verdict.CORRECT : Verdict.FALSE_HIT, VerdictSource.ANSWER_SIMILARITY, sim));
      } catch (RuntimeException e) { // refused at once (embedding queue full): not recorded, may be retried
        l.releaseAudit();
        throw e;
      }
    }
    return judgement.thenApply(j -> record(l, j, invalidate, "audit/")).whenComplete((r, e) -> {
      if (e != null) {
        l.releaseAudit(); // not recorded: the gateway may try again
      }
    });
  }

  private record Judgement(Verdict verdict, VerdictSource source, Double answerSimilarity, Double judgeProbability) {
    Judgement(Verdict verdict, VerdictSource source, Double answerSimilarity) {
      this(verdict, source, answerSimilarity, null);
    }
  }

  /** Where the second-stage judge's verdicts on lookups that were not sampled for audit are kept. */
  static final String JUDGED_PREFIX = "judged/";

  /**
   * Records the second-stage judge's verdict on a remembered lookup, unless it already has one (the
   * gateway got there first) or is no longer remembered. An explore (sampled for audit) is settled by it
   * like any audit: recorded under {@code audit/} and counted. A served hit that was not sampled is
   * recorded apart, under {@code judged/}: it teaches the entry (through {@link #onRecorded}) but is not
   * counted in the audit counts, so that the measured false-hit rate and the what-if curve stay the
   * verdicts of an independent judge on a uniform sample, never the judge grading the policy it teaches.
   *
   * @param probability the judge's P(the two prompts mean the same)
   * @return the record, if one was made
   */
  public Optional<AuditRecord> secondStageVerdict(String namespace, String lookupId, Verdict verdict,
      double probability) {
    ServedLookup l = remembered.get(lookupId, clock.millis());
    if (l == null || !l.namespace().equals(namespace) || !l.claimAudit()) {
      return Optional.empty();
    }
    try {
      return Optional.of(record(l, new Judgement(verdict, VerdictSource.SECOND_STAGE, null, probability), false,
          l.sampled() ? "audit/" : JUDGED_PREFIX));
    } catch (RuntimeException e) {
      l.releaseAudit();
      throw e;
    }
  }

  /**
   * Records a user's or an operator's verdict on a served hit (exact or semantic). Counted apart from
   * audits: people report wrong answers far more often than right ones, so feedback is no sample.
   */
  public AuditRecord feedback(String namespace, String lookupId, Verdict verdict, boolean invalidate) {
    ServedLookup l = find(namespace, lookupId);
    if (!l.hit()) {
      throw new CacheRequestException(Code.NOT_A_HIT, "lookup " + lookupId + " was a miss: nothing was served");
    }
    if (!l.claimFeedback()) {
      throw new CacheRequestException(Code.ALREADY_AUDITED, "lookup " + lookupId + " already has its feedback");
    }
    try {
      return record(l, new Judgement(verdict, VerdictSource.FEEDBACK, null), invalidate, "feedback/");
    } catch (RuntimeException e) {
      l.releaseFeedback();
      throw e;
    }
  }

  private AuditRecord record(ServedLookup l, Judgement j, boolean invalidate, String prefix) {
    String matched = l.matchedPrompt();
    if (matched == null) {
      // An exact hit: its prompt is the entry's (read before any invalidation below), or "" once the entry is gone.
      matched = storage.get(l.namespace(), l.entryId()).map(Entry::prompt).orElse("");
    }
    String prompt = l.prompt() != null ? l.prompt() : matched;
    boolean removed = invalidate && j.verdict() == Verdict.FALSE_HIT && storage.delete(l.namespace(), l.entryId());
    String kind = VerdictSource.FEEDBACK == j.source() ? l.kind() : l.hit() ? "hit" : LookupKind.NEAR_MISS.wire();
    AuditRecord r = new AuditRecord(AuditRecord.formatFor(j.judgeProbability()), l.namespace(), l.lookupId(), kind, l.similarity(), l.threshold(),
        prompt, matched, l.entryId(), j.verdict().wire(), j.source().wire(), j.answerSimilarity(),
        l.atMillis(), clock.millis(), removed, j.judgeProbability());
    try {
      storage.putRecords(Map.of(prefix + l.namespace() + "/" + l.lookupId(), JSON.writeValueAsBytes(r)));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    if (!JUDGED_PREFIX.equals(prefix)) {
      counts(l.namespace()).add(r);
    }
    recorded.accept(r);
    return r;
  }

  /** The remembered lookup, or the refusal that says why there is none. */
  private ServedLookup find(String namespace, String lookupId) {
    ServedLookup l = remembered.get(lookupId, clock.millis());
    if (l != null && l.namespace().equals(namespace)) {
      return l;
    }
    long at = lookupTime(lookupId);
    long now = clock.millis();
    if (at <= now && now - at > settings.window().toMillis()) {
      throw new CacheRequestException(Code.LOOKUP_EXPIRED, "lookup " + lookupId + " was at " + Instant.ofEpochMilli(at)
          + ", more than the audit window (" + settings.window().toSeconds() + " s) ago");
    }
    if (at < startedAtMillis && l == null) {
      throw new CacheRequestException(Code.LOOKUP_EXPIRED, "lookup " + lookupId + " was at " + Instant.ofEpochMilli(at)
          + ", before this server started (" + Instant.ofEpochMilli(startedAtMillis) + "); lookups waiting for an"
          + " audit are not kept across restarts");
    }
    throw new CacheRequestException(Code.LOOKUP_NOT_FOUND, "no lookup " + lookupId + " that may be audited in namespace '"
        + namespace + "' (hits and sampled near misses are remembered for " + settings.window().toSeconds()
        + " s, about the last " + remembered.capacity() + " of them)");
  }

  /** Audit and feedback records of a namespace, newest first, at most {@code limit}. */
  public java.util.List<AuditRecord> recent(String namespace, int limit) {
    java.util.List<AuditRecord> all = new java.util.ArrayList<>();
    for (String prefix : new String[] {"audit/", "feedback/", JUDGED_PREFIX}) {
      storage.forEachRecord(prefix + namespace + "/", (k, v) -> all.add(decode(k, v)));
    }
    all.sort(java.util.Comparator.comparingLong(AuditRecord::judgedAtMillis).reversed());
    return all.subList(0, Math.min(limit, all.size()));
  }

  // ------------------------------------------------------------------ analysis

  /** The what-if curve of a namespace. */
  public ThresholdCurve.Result analysis(String namespace, NamespaceConfig config) {
    NamespaceStats s = totals(namespace);
    AuditCounts c = counts(namespace);
    return ThresholdCurve.compute(s.lookups(), s.exactHits(), s.nearestHistogram(), c.correctHistogram(),
        c.falseHistogram(), s.auditFloor(), config.targetFalseHitRate());
  }

  /** Estimated heap bytes of the lookups remembered for audits and feedback, all namespaces together. */
  public long rememberedBytes() {
    return remembered.bytes();
  }

  /** Estimated heap bytes of one namespace's remembered lookups. */
  public long rememberedBytes(String namespace) {
    return remembered.bytes(namespace);
  }

  /** Namespaces with statistics, on this node or another. */
  public java.util.Set<String> namespaces() {
    java.util.Set<String> all = new java.util.TreeSet<>(stats.keySet());
    all.addAll(others.keySet());
    return all;
  }

  // ------------------------------------------------------------------ persistence

  /** Writes the statistics that changed since the last flush. Runs by itself every second. */
  public void flush() {
    Map<String, byte[]> batch = new HashMap<>();
    for (var e : stats.entrySet()) {
      NamespaceStats s = e.getValue();
      if (s.dirty) {
        s.dirty = false;
        try {
          batch.put("stats/" + e.getKey() + "/" + nodeId, JSON.writeValueAsBytes(s.toStored()));
          if (legacyKeys.contains("stats/" + e.getKey())) {
            batch.put("stats/" + e.getKey(), null); // moved to this node's key, in the same atomic write
          }
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
          throw new IllegalStateException(ex);
        }
      }
    }
    try {
      storage.putRecords(batch);
      legacyKeys.removeAll(batch.keySet());
    } catch (RuntimeException ex) {
      for (String key : batch.keySet()) {
        stats.get(StatsKey.parse(key).namespace()).dirty = true;
      }
      throw ex;
    }
  }

  /** Stops the periodic flush and writes the statistics one last time. Call before closing the storage. */
  @Override
  public void close() {
    flusher.shutdown();
    try {
      flusher.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flush();
  }
}
