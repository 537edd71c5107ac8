package dev.semcache.index;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Merges the vector index down as its {@link CompactionPolicy} says, on a thread of its own so that the
 * refresh, commit and sweep go on meanwhile; stores and lookups go on too, and a store that arrives
 * during a merge lands in a new segment. {@link #check} runs every {@link CompactionPolicy#idle()}: the
 * index is quiet when no change reached it since the previous check. A storage closing during a merge
 * aborts it ({@link LuceneVectorIndex#close()}); the index stays as it was before the merge.
 */
final class IndexCompactor {
  private static final Logger LOG = LoggerFactory.getLogger(IndexCompactor.class);

  private final LuceneVectorIndex index;
  private final CompactionPolicy policy;
  private final ExecutorService worker = Executors.newSingleThreadExecutor(
      Thread.ofPlatform().name("semcache-index-compaction").daemon(true).factory());
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong compactions = new AtomicLong();
  private volatile boolean stopped;
  /** The index's change count at the previous check; -1 before the first. */
  private long changesAtLastCheck = -1;

  IndexCompactor(LuceneVectorIndex index, CompactionPolicy policy) {
    this.index = index;
    this.policy = policy;
  }

  /**
   * Starts a merge if the index has been quiet since the previous check and the policy finds it due.
   * Called from one thread (the storage's maintenance).
   *
   * @return whether a merge was started
   */
  boolean check() {
    long changes = index.changeCount();
    boolean quiet = changes == changesAtLastCheck;
    changesAtLastCheck = changes;
    if (stopped || !quiet || running.get()) {
      return false;
    }
    int[] before = index.segmentEntries();
    if (!policy.due(before)) {
      return false;
    }
    running.set(true);
    worker.execute(() -> merge(before));
    return true;
  }

  private void merge(int[] before) {
    long total = 0;
    for (int n : before) {
      total += n;
    }
    long start = System.nanoTime();
    LOG.info("compacting the vector index: {} entries in {} segments, merging to {} (quiet for {} ms)", total,
        before.length, policy.segments(), policy.idle().toMillis());
    try {
      index.forceMerge(policy.segments());
      compactions.incrementAndGet();
      LOG.info("compacted the vector index to {} segments in {} s", index.segmentCount(),
          String.format(java.util.Locale.ROOT, "%.1f", (System.nanoTime() - start) / 1e9));
    } catch (RuntimeException e) {
      if (stopped) {
        LOG.info("vector index compaction abandoned: the storage is closing (the index stays as it was)");
      } else {
        LOG.warn("vector index compaction failed; it will be tried again when the index is next quiet", e);
      }
    } finally {
      running.set(false);
    }
  }

  /** Whether a merge is in progress. */
  boolean running() {
    return running.get();
  }

  /** Merges completed since the storage opened. */
  long compactions() {
    return compactions.get();
  }

  /** Starts no more merges; one in progress ends when the index closes (which aborts it). */
  void stop() {
    stopped = true;
    worker.shutdown();
  }
}
