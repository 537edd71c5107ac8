package dev.semcache.bench;

import dev.semcache.index.Scope;
import java.util.concurrent.CompletableFuture;

/** The cache an accuracy run talks to: {@link InProcessCache} (the real core) or {@link HttpCache} (a server). */
interface CacheUnderTest extends AutoCloseable {

  /**
   * A lookup's answer.
   *
   * @param similarity of the served entry on a hit (1 for an exact hit); NaN on a miss
   * @param response the served entry's response, null on a miss
   * @param lookupId names the lookup for the store that follows a miss
   */
  record Answer(boolean hit, float similarity, String response, String lookupId) {}

  /** Stores an answer; {@code lookupId} names the miss it answers (its embedding is reused), or null. */
  CompletableFuture<?> store(String namespace, String prompt, String response, Scope scope, String lookupId);

  /** Looks a prompt up with a per-request threshold. */
  CompletableFuture<Answer> lookup(String namespace, String prompt, Scope scope, double threshold);

  /** Returns once everything stored so far can be found by semantic search. */
  void awaitSearchable();

  /** Requests to keep in flight at once. */
  int window();

  @Override
  void close();
}
