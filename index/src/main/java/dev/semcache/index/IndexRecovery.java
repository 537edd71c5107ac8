package dev.semcache.index;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens the vector index of an {@link EmbeddedCacheStorage} consistent with its store. The index records
 * in each durable commit the store sequence it contains: on open, every change after it is replayed
 * (upserts and deletes are idempotent). An index that is missing, unreadable, or ahead of the store is
 * rebuilt from the stored embeddings, without the model.
 */
final class IndexRecovery {
  private static final Logger LOG = LoggerFactory.getLogger(IndexRecovery.class);
  private static final int REPLAY_BATCH = 10_000;

  private final StorageOptions options;
  private final InstantSource clock;
  private final RocksEntryStore store;
  private final IndexDocuments documents;

  IndexRecovery(StorageOptions options, InstantSource clock, RocksEntryStore store, IndexDocuments documents) {
    this.options = options;
    this.clock = clock;
    this.store = store;
    this.documents = documents;
  }

  /** The index in {@code indexDir}, caught up with the store (or rebuilt from it) and refreshed. */
  LuceneVectorIndex recover(Path indexDir) {
    long start = System.nanoTime();
    LuceneVectorIndex opened;
    try {
      opened = open(indexDir);
    } catch (IOException e) {
      LOG.warn("the vector index in {} is unreadable ({}); rebuilding it from the store", indexDir, e.toString());
      Directories.deleteRecursively(indexDir);
      opened = openOrFail(indexDir);
    }
    long committed = opened.committedSequence();
    if (committed == 0 || committed > store.lastSequence()) {
      if (committed > store.lastSequence()) {
        LOG.warn("the index records store sequence {} but the store ends at {}; rebuilding it",
            committed, store.lastSequence());
        opened.close();
        Directories.deleteRecursively(indexDir);
        opened = openOrFail(indexDir);
      }
      rebuild(opened);
    } else {
      replay(opened, committed);
    }
    opened.refresh();
    LOG.info("vector index ready: {} entries, store sequence {}, {} ms", opened.size(), store.lastSequence(),
        (System.nanoTime() - start) / 1_000_000);
    return opened;
  }

  private LuceneVectorIndex open(Path indexDir) throws IOException {
    Files.createDirectories(indexDir);
    return LuceneVectorIndex.open(indexDir, options.vectorFormat(), options.maxConn(), options.beamWidth(),
        options.candidates());
  }

  private LuceneVectorIndex openOrFail(Path indexDir) {
    try {
      return open(indexDir);
    } catch (IOException e) {
      throw new StoreException("cannot create a vector index in " + indexDir + ": " + e.getMessage(), e);
    }
  }

  private void rebuild(LuceneVectorIndex target) {
    long upTo = store.lastSequence();
    long now = clock.millis();
    AtomicLong n = new AtomicLong();
    store.forEachEntry(e -> {
      if (e.isLiveAt(now)) {
        documents.index(target, e);
        if (n.incrementAndGet() % 100_000 == 0) {
          LOG.info("rebuilding the vector index: {} entries so far", n.get());
        }
      }
    });
    target.commit(upTo);
    store.trimChangesThrough(upTo);
    LOG.info("rebuilt the vector index from the store: {} live entries", n.get());
  }

  private void replay(LuceneVectorIndex target, long committed) {
    long from = committed;
    int replayed = 0;
    while (true) {
      List<Change> changes = store.changesAfter(from, REPLAY_BATCH);
      if (changes.isEmpty()) {
        break;
      }
      for (Change c : changes) {
        documents.apply(target, c);
        from = c.sequence();
        replayed++;
      }
    }
    if (replayed > 0) {
      target.commit(from);
      store.trimChangesThrough(from);
      LOG.info("replayed {} store changes into the vector index (sequence {} to {})", replayed, committed, from);
    }
  }
}
