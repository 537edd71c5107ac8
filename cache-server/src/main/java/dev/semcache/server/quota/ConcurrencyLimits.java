package dev.semcache.server.quota;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * How many requests that may embed (semantic lookups, stores, invalidations by similarity) each tenant
 * has in progress, against its limit. The embedding queue is fair between namespaces anyway; this caps
 * what one key or namespace may have in flight at all, so that it cannot hold the queue's room and the
 * workers' time beyond what an operator gave it.
 */
public final class ConcurrencyLimits {
  private final ConcurrentHashMap<String, AtomicInteger> running = new ConcurrentHashMap<>();

  /**
   * @param max the most at once; 0 or less means no limit
   * @return whether the tenant may start one more (counted even without a limit); if so, {@link #release}
   *     must follow
   */
  public boolean tryAcquire(String tenant, int max) {
    boolean[] ok = {false};
    running.compute(tenant, (k, n) -> {
      AtomicInteger c = n == null ? new AtomicInteger() : n;
      if (max <= 0 || c.get() < max) {
        c.incrementAndGet();
        ok[0] = true;
      }
      return c.get() == 0 ? null : c;
    });
    return ok[0];
  }

  /** Ends one request that {@link #tryAcquire} admitted. */
  public void release(String tenant) {
    running.computeIfPresent(tenant, (k, n) -> n.decrementAndGet() <= 0 ? null : n);
  }

  /** Requests in progress for the tenant. */
  public int running(String tenant) {
    AtomicInteger n = running.get(tenant);
    return n == null ? 0 : n.get();
  }
}
