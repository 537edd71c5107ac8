package dev.semcache.server.verify;

import dev.semcache.index.CacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.server.audit.AuditCounts;
import dev.semcache.server.audit.AuditRecord;
import dev.semcache.server.audit.Verdict;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decisions of {@code verified} namespaces, and what they learn: per entry, the audit verdicts
 * gathered on it ({@link EntryEvidence}); per namespace, the pooled prior ({@link EntryPrior}) from its
 * audit counts. See {@link ErrorBoundPolicy} for the method.
 *
 * <h2>Durability</h2>
 * An entry's verdicts are an analytics record, {@code verify/NAMESPACE/ENTRY_ID} (the stored form in
 * {@link EntryEvidence}), written through the write-ahead log with each verdict and read back on start;
 * the entry's own format is unchanged. The record goes when the entry goes: at once when it is deleted
 * through the cache or invalidated by a false-hit verdict, and by {@link #removeOrphans()} (hourly) when
 * it expired or was evicted.
 *
 * <h2>Cost on the lookup path</h2>
 * A map lookup, and a refit of the entry's curve only after a new verdict or a new prior (a few hundred
 * multiply-adds per Newton step on at most {@link EntryEvidence#CAPACITY} verdicts). The namespace prior
 * is refitted at most every {@link #PRIOR_REFRESH_MILLIS} and only after new verdicts.
 */
public final class Verifier implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Verifier.class);
  static final String PREFIX = "verify/";
  static final long PRIOR_REFRESH_MILLIS = 2_000;
  /** At most this many warm entries tell how entries differ (the most recently taught ones are not preferred). */
  static final int MAX_WARM_SAMPLE = 500;

  private final CacheStorage storage;
  private final Function<String, AuditCounts> counts;
  private final InstantSource clock;
  private final Map<String, Map<String, EntryEvidence>> evidence = new ConcurrentHashMap<>();
  private final Map<String, Prior> priors = new ConcurrentHashMap<>();
  private final Map<String, Tally> tallies = new ConcurrentHashMap<>();
  private final java.util.concurrent.ScheduledExecutorService sweeper;
  static final java.time.Duration ORPHAN_SWEEP_INTERVAL = java.time.Duration.ofHours(1);

  private record Prior(CorrectnessCurve curve, long audited, double threshold, double maxFalseHitRate, long atMillis) {}

  /** Decisions since the server started. */
  static final class Tally {
    final LongAdder hits = new LongAdder();
    final LongAdder explores = new LongAdder();
    final LongAdder misses = new LongAdder();
  }

  /**
   * @param counts a namespace's audit counts (all its entries' verdicts, pooled)
   */
  public Verifier(CacheStorage storage, Function<String, AuditCounts> counts, InstantSource clock) {
    this.storage = storage;
    this.counts = counts;
    this.clock = clock;
    int[] n = {0};
    storage.forEachRecord(PREFIX, (key, value) -> {
      String[] parts = key.split("/", 3);
      evidence.computeIfAbsent(parts[1], ns -> new ConcurrentHashMap<>()).put(parts[2], EntryEvidence.decode(key, value));
      n[0]++;
    });
    if (n[0] > 0) {
      LOG.info("verdicts of {} entries of verified namespaces loaded", n[0]);
    }
    this.sweeper = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "semcache-verify-sweep");
      t.setDaemon(true);
      return t;
    });
    long every = ORPHAN_SWEEP_INTERVAL.toMillis();
    sweeper.scheduleWithFixedDelay(() -> {
      try {
        int removed = removeOrphans();
        if (removed > 0) {
          LOG.info("removed the verdicts of {} entries that expired or were evicted", removed);
        }
      } catch (RuntimeException e) {
        LOG.error("removing the verdicts of removed entries failed; will retry in {}", ORPHAN_SWEEP_INTERVAL, e);
      }
    }, every, every, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /** Stops the hourly sweep. */
  @Override
  public void close() {
    sweeper.shutdownNow();
  }

  /** The policy of a namespace's config. */
  public static ErrorBoundPolicy policy(NamespaceConfig config) {
    return ErrorBoundPolicy.of(config.maxFalseHitRate());
  }

  /** Serve, explore or miss the nearest entry of a lookup in a verified namespace. */
  public Decision decide(String namespace, NamespaceConfig config, Entry nearest, double similarity) {
    ErrorBoundPolicy policy = policy(config);
    CorrectnessCurve prior = prior(namespace, config, policy);
    EntryEvidence e = evidence.getOrDefault(namespace, Map.of()).get(nearest.id());
    CorrectnessCurve curve = e == null ? prior : e.curve(prior);
    Decision d = policy.decide(curve, similarity, config.threshold() - config.nearMissAuditBand(),
        () -> ThreadLocalRandom.current().nextDouble());
    Tally t = tallies.computeIfAbsent(namespace, ns -> new Tally());
    (d == Decision.HIT ? t.hits : d == Decision.EXPLORE ? t.explores : t.misses).increment();
    return d;
  }

  /**
   * Teaches an entry a verdict: every audit (of a sampled hit, a near miss or an explore) that names an
   * entry; feedback is not a random sample and teaches nothing. Durable before it returns.
   */
  public void learn(AuditRecord r) {
    if (r.isFeedback() || r.entryId() == null) {
      return;
    }
    if (r.invalidated()) {
      forget(r.namespace(), r.entryId());
      return;
    }
    EntryEvidence e = evidence.computeIfAbsent(r.namespace(), ns -> new ConcurrentHashMap<>())
        .computeIfAbsent(r.entryId(), id -> new EntryEvidence());
    e.add(r.similarity(), r.verdictValue() == Verdict.CORRECT);
    Map<String, byte[]> write = new HashMap<>();
    write.put(key(r.namespace(), r.entryId()), e.encode());
    storage.putRecords(write);
  }

  /** Drops what an entry learned (it was deleted). */
  public void forget(String namespace, String entryId) {
    Map<String, EntryEvidence> m = evidence.get(namespace);
    if (m != null && m.remove(entryId) != null) {
      Map<String, byte[]> delete = new HashMap<>();
      delete.put(key(namespace, entryId), null);
      storage.putRecords(delete);
    }
  }

  /** Drops what expired and evicted entries learned; returns how many. */
  public int removeOrphans() {
    Map<String, byte[]> deletes = new HashMap<>();
    for (var ns : evidence.entrySet()) {
      for (String id : List.copyOf(ns.getValue().keySet())) {
        if (storage.get(ns.getKey(), id).isEmpty()) {
          ns.getValue().remove(id);
          deletes.put(key(ns.getKey(), id), null);
        }
      }
    }
    storage.putRecords(deletes);
    return deletes.size();
  }

  /**
   * The figures of a verified namespace, for its analysis.
   *
   * @param entries the namespace's live entries
   */
  public Figures figures(String namespace, NamespaceConfig config, long entries) {
    Tally t = tallies.getOrDefault(namespace, new Tally());
    Map<String, EntryEvidence> m = evidence.getOrDefault(namespace, Map.of());
    long warm = m.values().stream().filter(e -> e.size() >= EntryPrior.WARM_VERDICTS).count();
    long decided = t.hits.sum() + t.explores.sum() + t.misses.sum();
    ErrorBoundPolicy policy = policy(config);
    CorrectnessCurve prior = prior(namespace, config, policy);
    Double coldFrom = null;
    for (int i = 0; i <= 200; i++) {
      double s = 0.8 + i * 0.001;
      if (policy.decide(prior, s, 2, () -> 1) == Decision.HIT) {
        coldFrom = Math.round(s * 1000) / 1000.0;
        break;
      }
    }
    return new Figures(config.maxFalseHitRate(), policy.confidence(), decided, t.hits.sum(), t.explores.sum(),
        t.misses.sum(), decided == 0 ? null : (double) t.explores.sum() / decided, entries, m.size(), warm,
        Math.max(0, entries - warm), coldFrom);
  }

  /**
   * @param lookups semantic-path lookups decided by the verifier since the server started
   * @param entriesWithVerdicts entries with at least one verdict of their own
   * @param warmEntries entries with at least {@link EntryPrior#WARM_VERDICTS} verdicts of their own
   * @param coldEntries entries with fewer (they decide mostly by the namespace's pooled prior)
   * @param coldServesFrom the lowest similarity at which an entry without verdicts is served, or null
   */
  public record Figures(double maxFalseHitRate, double confidence, long lookups, long hits, long explores, long misses,
      Double exploreRate, long entries, long entriesWithVerdicts, long warmEntries, long coldEntries,
      Double coldServesFrom) {}

  private CorrectnessCurve prior(String namespace, NamespaceConfig config, ErrorBoundPolicy policy) {
    AuditCounts c = counts.apply(namespace);
    long audited = c.audited();
    long now = clock.millis();
    Prior p = priors.get(namespace);
    if (p != null && p.threshold() == config.threshold() && p.maxFalseHitRate() == config.maxFalseHitRate()
        && (p.audited() == audited || now - p.atMillis() < PRIOR_REFRESH_MILLIS)) {
      return p.curve();
    }
    CorrectnessCurve pooled = EntryPrior.pooled(c.correctHistogram(), c.falseHistogram(), config.threshold(),
        config.maxFalseHitRate());
    List<EntryEvidence> warm = new ArrayList<>();
    for (EntryEvidence e : evidence.getOrDefault(namespace, Map.of()).values()) {
      if (e.size() >= EntryPrior.WARM_VERDICTS && warm.size() < MAX_WARM_SAMPLE) {
        warm.add(e);
      }
    }
    CorrectnessCurve curve = EntryPrior.of(pooled, EntryPrior.between(pooled, warm), policy.z(), audited);
    priors.put(namespace, new Prior(curve, audited, config.threshold(), config.maxFalseHitRate(), now));
    return curve;
  }

  private static String key(String namespace, String entryId) {
    return PREFIX + namespace + "/" + entryId;
  }
}
