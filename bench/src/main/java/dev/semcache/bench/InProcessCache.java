package dev.semcache.bench;

import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.PromptOverflow;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import dev.semcache.server.audit.Analytics;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.cache.StoreRequest;
import dev.semcache.storage.opensearch.OpenSearchCacheStorage;
import dev.semcache.storage.opensearch.OpenSearchOptions;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The real core in process: a {@link SemanticCache} over a {@link CacheStorage} in {@code dir}, with the real embedder. */
final class InProcessCache implements CacheUnderTest {
  /** Enough requests in flight to keep every embedding worker busy, far below its queue. */
  private static final int WINDOW = 64;

  private final CacheStorage storage;
  private final SemanticCache cache;

  InProcessCache(ParallelEmbedder embedder, Path dir) {
    this(embedder, EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), InstantSource.system()));
  }

  /** The core over an OpenSearch k-NN cluster, under its own index prefix, without replicas. */
  static InProcessCache onOpenSearch(ParallelEmbedder embedder, String hosts, String indexPrefix, int dimension) {
    StorageOptions d = StorageOptions.defaults();
    StorageOptions options = new StorageOptions(dimension, d.maxEntries(), d.maxBytes(), d.blockCacheBytes(),
        d.syncWrites(), d.vectorFormat(), d.maxConn(), d.beamWidth(), d.candidates(), d.refreshInterval(),
        d.commitInterval(), d.sweepInterval(), d.compaction());
    OpenSearchOptions os = OpenSearchOptions.defaults().withHosts(java.util.List.of(hosts.split(",")))
        .withIndexPrefix(indexPrefix.toLowerCase(java.util.Locale.ROOT)).withLayout(1, 0);
    return new InProcessCache(embedder, OpenSearchCacheStorage.open(os, options, InstantSource.system()));
  }

  private InProcessCache(ParallelEmbedder embedder, CacheStorage storage) {
    this.storage = storage;
    NamespaceConfig d = NamespaceConfig.defaults();
    // A few GPTCache fixture texts exceed the model's 256 tokens: embed their beginning, as GPTCache does,
    // rather than refuse them; audits are off, they would only add work here.
    NamespaceConfig defaults = new NamespaceConfig(d.threshold(), d.ttlSeconds(), d.maxTtlSeconds(), d.maxEntries(),
        d.slidingTtl(), 0, d.targetFalseHitRate(), PromptOverflow.TRUNCATE, d.answerThreshold(), d.nearMissAuditBand());
    this.cache = new SemanticCache(storage, embedder, InstantSource.system(), Runnable::run, true, defaults,
        Analytics.Settings.defaults());
  }

  @Override
  public CompletableFuture<?> store(String namespace, String prompt, String response, Scope scope, String lookupId) {
    return cache.store(new StoreRequest(namespace, prompt, response, scope, null, Map.of(), lookupId));
  }

  @Override
  public CompletableFuture<Answer> lookup(String namespace, String prompt, Scope scope, double threshold) {
    return cache.lookup(new LookupRequest(namespace, prompt, scope, threshold)).thenApply(InProcessCache::answer);
  }

  private static Answer answer(LookupResult r) {
    // on a miss the core reports the nearest entry's similarity; only a hit's counts here
    return r.hit() ? new Answer(true, r.similarity(), r.entry().response(), r.lookupId())
        : new Answer(false, r.similarity(), null, r.lookupId());
  }

  @Override
  public void awaitSearchable() {
    storage.refreshIndex();
  }

  @Override
  public int window() {
    return WINDOW;
  }

  @Override
  public void close() {
    cache.close();
    storage.close();
  }
}
