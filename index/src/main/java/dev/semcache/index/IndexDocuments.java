package dev.semcache.index;

import java.util.Optional;

/** How a stored entry looks in the {@link VectorIndex}: its partition, its expiry filter and its vector. */
final class IndexDocuments {
  private final EntryStore store;
  private final NamespaceConfigs configs;

  IndexDocuments(EntryStore store, NamespaceConfigs configs) {
    this.store = store;
    this.configs = configs;
  }

  /**
   * The expiry the index filters on. With a sliding TTL the entry's expiry moves on every hit, which
   * the index is not told about; it filters on the cap instead ({@code max_ttl_s} after creation), and
   * the store's expiry decides.
   */
  long indexExpiry(Entry e) {
    NamespaceConfig c = configs.config(e.namespace());
    return c.slidingTtl() ? Math.max(e.expiresAtMillis(), e.createdAtMillis() + c.maxTtlSeconds() * 1000) : e.expiresAtMillis();
  }

  /** Adds or replaces the document of a stored entry. */
  void index(VectorIndex index, Entry e) {
    index.upsert(e.id(), Keys.partition(e.namespace(), e.scope()), indexExpiry(e), e.embedding());
  }

  /** Applies one logged change of the store to the index (idempotent). */
  void apply(VectorIndex index, Change c) {
    Optional<Entry> e = c.upsert() ? store.get(c.entryId()) : Optional.empty();
    if (e.isPresent()) {
      index(index, e.get());
    } else {
      index.delete(c.entryId());
    }
  }
}
