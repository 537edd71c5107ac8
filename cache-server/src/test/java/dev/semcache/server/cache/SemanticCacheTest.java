package dev.semcache.server.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.ManualClock;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The transport-neutral core on the real model and real storage. */
class SemanticCacheTest {
  private static ParallelEmbedder embedder;

  @TempDir
  Path dir;
  ManualClock clock = new ManualClock();
  CacheStorage storage;
  SemanticCache cache;

  @BeforeAll
  static void openModel() {
    embedder = ParallelEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), ParallelOptions.defaults());
  }

  @AfterAll
  static void closeModel() {
    embedder.close();
  }

  @BeforeEach
  void open() {
    storage = EmbeddedCacheStorage.open(dir, StorageOptions.defaults()
        .withIntervals(Duration.ofHours(1), Duration.ofHours(1), Duration.ofHours(1)), clock);
    cache = new SemanticCache(storage, embedder, clock);
  }

  @AfterEach
  void close() {
    cache.close();
    storage.close();
  }

  Entry store(String ns, String prompt, String response, Scope scope) {
    Entry e = cache.store(new StoreRequest(ns, prompt, response, scope, null, Map.of(), null)).join().entry();
    storage.refreshIndex();
    return e;
  }

  LookupResult lookup(String ns, String prompt, Scope scope) {
    return cache.lookup(new LookupRequest(ns, prompt, scope, null)).join();
  }

  static long modelCalls() {
    return embedder.wideRunCount() + embedder.narrowRunCount();
  }

  @Test
  void paraphraseHitsSemanticallyRepeatHitsExactlyUnrelatedMisses() {
    Entry e = store("faq", "How do I reset my password?", "Click 'Forgot password'.", Scope.EMPTY);
    LookupResult para = lookup("faq", "How can I reset my password?", Scope.EMPTY);
    assertThat(para.kind()).isEqualTo(LookupResult.Kind.SEMANTIC);
    assertThat(para.entry().id()).isEqualTo(e.id());
    assertThat(para.entry().response()).isEqualTo("Click 'Forgot password'.");
    assertThat(para.similarity()).isGreaterThanOrEqualTo(0.9f);

    long before = modelCalls();
    LookupResult repeat = lookup("faq", "How do I reset my password?", Scope.EMPTY);
    assertThat(repeat.kind()).isEqualTo(LookupResult.Kind.EXACT);
    assertThat(modelCalls()).as("the exact path embeds nothing").isEqualTo(before);

    LookupResult unrelated = lookup("faq", "What is the capital of Mongolia?", Scope.EMPTY);
    assertThat(unrelated.kind()).isEqualTo(LookupResult.Kind.MISS);
    assertThat(unrelated.similarity()).isLessThan(0.5f);
    assertThat(unrelated.lookupId()).startsWith("l");

    dev.semcache.server.audit.NamespaceStats c = cache.analytics().stats("faq");
    assertThat(c.lookups()).isEqualTo(3);
    assertThat(c.exactHits()).isEqualTo(1);
    assertThat(c.semanticHits()).isEqualTo(1);
    assertThat(c.misses()).isEqualTo(1);
    assertThat(c.stores()).isEqualTo(1);
  }

  @Test
  void storeAfterAMissReusesItsEmbedding() {
    LookupResult miss = lookup("faq", "Do you ship to Canada?", Scope.EMPTY);
    assertThat(miss.hit()).isFalse();
    long before = modelCalls();
    cache.store(new StoreRequest("faq", "Do you ship to Canada?", "Yes.", Scope.EMPTY, null, Map.of(), miss.lookupId())).join();
    assertThat(modelCalls()).as("the store reused the miss's embedding").isEqualTo(before);
    // a lookup id of another prompt or namespace is not reused
    cache.store(new StoreRequest("faq", "Do you ship to Mexico?", "Yes.", Scope.EMPTY, null, Map.of(), miss.lookupId())).join();
    assertThat(modelCalls()).isEqualTo(before + 1);
    cache.store(new StoreRequest("other", "Do you ship to Canada?", "No.", Scope.EMPTY, null, Map.of(), miss.lookupId())).join();
    assertThat(modelCalls()).isEqualTo(before + 2);
    storage.refreshIndex();
    assertThat(lookup("faq", "Do you ship to Canada", Scope.EMPTY).entry().response()).isEqualTo("Yes.");
  }

  @Test
  void namespacesAndScopesNeverCross() {
    Scope gpt = Scope.of(Map.of("model", "gpt-4o"));
    store("faq", "Summarise this article", "answer for gpt-4o", gpt);
    assertThat(lookup("faq", "Summarise this article", Scope.of(Map.of("model", "llama-3"))).hit()).isFalse();
    assertThat(lookup("other", "Summarise this article", gpt).hit()).isFalse();
    assertThat(lookup("faq", "Summarise this article", gpt).kind()).isEqualTo(LookupResult.Kind.EXACT);
    assertThat(lookup("faq", "Summarize this article", gpt).kind()).isEqualTo(LookupResult.Kind.SEMANTIC);
  }

  @Test
  void expiredEntriesMissOnTheInjectedClock() {
    cache.store(new StoreRequest("faq", "What are your opening hours?", "9 to 5.", Scope.EMPTY, 60L, Map.of(), null)).join().entry();
    storage.refreshIndex();
    clock.advance(Duration.ofSeconds(59));
    assertThat(lookup("faq", "What are your opening hours?", Scope.EMPTY).hit()).isTrue();
    clock.advance(Duration.ofSeconds(1));
    assertThat(lookup("faq", "What are your opening hours?", Scope.EMPTY).hit()).isFalse();
    assertThat(lookup("faq", "When are you open?", Scope.EMPTY).hit()).isFalse();
  }

  @Test
  void thresholdOverrideDecidesTheBorderline() {
    store("faq", "How do I reset my password?", "a", Scope.EMPTY);
    LookupResult loose = cache.lookup(new LookupRequest("faq", "I forgot my password", Scope.EMPTY, 0.5)).join();
    LookupResult strict = cache.lookup(new LookupRequest("faq", "I forgot my password", Scope.EMPTY, 0.99)).join();
    assertThat(loose.hit()).isTrue();
    assertThat(strict.hit()).isFalse();
    assertThat(strict.similarity()).isEqualTo(loose.similarity());
    assertThat(strict.threshold()).isEqualTo(0.99);
  }

  @Test
  void invalidRequestsAreRefusedWithTheBadValueAndChangeNothing() {
    assertThatThrownBy(() -> cache.lookup(new LookupRequest("bad ns", "p", null, null)))
        .isInstanceOf(CacheRequestException.class).hasMessageContaining("namespace='bad ns'");
    assertThatThrownBy(() -> cache.lookup(new LookupRequest("faq", "   ", null, null)))
        .isInstanceOf(CacheRequestException.class).hasMessage("prompt must be a non-blank string; prompt='   '");
    assertThatThrownBy(() -> cache.lookup(new LookupRequest("faq", "p", null, 1.5)))
        .isInstanceOf(CacheRequestException.class).hasMessage("threshold must be between 0 and 1; threshold=1.5");
    assertThatThrownBy(() -> cache.store(new StoreRequest("faq", "p", null, null, null, null, null)))
        .isInstanceOf(CacheRequestException.class).hasMessage("response must be a string");
    assertThatThrownBy(() -> cache.store(new StoreRequest("faq", "p", "a", null, 0L, null, null)))
        .isInstanceOf(CacheRequestException.class)
        .hasMessage("ttl_s must be between 1 and the namespace's max_ttl_s (2592000); ttl_s=0");
    assertThat(storage.entryCount()).isZero();
    assertThat(cache.analytics().stats("faq").lookups()).isZero();
  }
}
