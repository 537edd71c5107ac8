package dev.semcache.server.cache;

import java.util.concurrent.atomic.LongAdder;

/** Lookup and store counts of one namespace since start. */
public final class NamespaceCounters {
  final LongAdder lookups = new LongAdder();
  final LongAdder exactHits = new LongAdder();
  final LongAdder semanticHits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder stores = new LongAdder();

  void count(LookupResult.Kind kind) {
    lookups.increment();
    switch (kind) {
      case EXACT -> exactHits.increment();
      case SEMANTIC -> semanticHits.increment();
      case MISS -> misses.increment();
    }
  }

  public long lookups() {
    return lookups.sum();
  }

  public long exactHits() {
    return exactHits.sum();
  }

  public long semanticHits() {
    return semanticHits.sum();
  }

  public long misses() {
    return misses.sum();
  }

  public long stores() {
    return stores.sum();
  }

  /** Hits over lookups, 0 before the first lookup. */
  public double hitRate() {
    long n = lookups();
    return n == 0 ? 0 : (exactHits() + semanticHits()) / (double) n;
  }
}
