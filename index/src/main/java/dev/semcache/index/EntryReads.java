package dev.semcache.index;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.apache.lucene.util.VectorUtil;

/**
 * Reads of an {@link EmbeddedCacheStorage}. They never trust the index alone: semantic search returns
 * ids; each is read back from the store and kept only if it is live and belongs to the asked namespace
 * and scope, and its similarity is recomputed from the stored full-precision vector (which also rescores
 * a quantized index). A stale index can cost a hit, never serve a wrong or expired one.
 */
final class EntryReads {
  private static final CacheStorage.ExactProbe ABSENT = new CacheStorage.ExactProbe.Absent();
  private static final CacheStorage.ExactProbe NEEDS_IO = new CacheStorage.ExactProbe.NeedsIo();

  private final RocksEntryStore store;
  private final VectorIndex index;
  private final InstantSource clock;
  private final PendingHits hits;

  EntryReads(RocksEntryStore store, VectorIndex index, InstantSource clock, PendingHits hits) {
    this.store = store;
    this.index = index;
    this.clock = clock;
    this.hits = hits;
  }

  Optional<Entry> get(String namespace, String id) {
    long now = clock.millis();
    return store.get(id).map(hits::overlay).filter(e -> e.namespace().equals(namespace) && e.isLiveAt(now));
  }

  Optional<Entry> findExact(String namespace, Scope scope, String prompt) {
    long now = clock.millis();
    return store.exactId(Keys.exact(namespace, scope, prompt))
        .flatMap(store::get)
        .map(hits::overlay)
        .filter(e -> e.isLiveAt(now) && e.namespace().equals(namespace) && e.scope().equals(scope));
  }

  /** {@link #findExact} from memory only (memtables and the block cache): never blocks on the disk. */
  CacheStorage.ExactProbe probeExact(String namespace, Scope scope, String prompt) {
    long now = clock.millis();
    try {
      Optional<String> id = store.exactIdInMemory(Keys.exact(namespace, scope, prompt));
      if (id.isEmpty()) {
        return ABSENT;
      }
      Optional<Entry> e = store.getInMemoryWithoutEmbedding(id.get()).map(hits::overlay)
          .filter(x -> x.isLiveAt(now) && x.namespace().equals(namespace) && x.scope().equals(scope));
      return e.<CacheStorage.ExactProbe>map(CacheStorage.ExactProbe.Hit::new).orElse(ABSENT);
    } catch (RocksEntryStore.NeedsIo needsIo) {
      return NEEDS_IO;
    }
  }

  List<Match> findNearest(String namespace, Scope scope, float[] vector, int k) {
    long now = clock.millis();
    List<Match> out = new ArrayList<>(k);
    for (Neighbor n : index.search(Keys.partition(namespace, scope), vector, k, now)) {
      store.get(n.entryId())
          .map(hits::overlay)
          .filter(e -> e.isLiveAt(now) && e.namespace().equals(namespace) && e.scope().equals(scope))
          .ifPresent(e -> out.add(new Match(e, VectorUtil.dotProduct(vector, e.embedding()))));
    }
    out.sort(Comparator.comparingDouble(Match::similarity).reversed());
    return out;
  }
}
