package dev.semcache.server.proxy;

/** The {@code X-Cache-Status} of a proxied answer. */
enum CacheStatus {
  /** Served from the cache: the same request (after normalisation) was answered before. */
  HIT_EXACT("HIT-EXACT"),
  /** Served from the cache: a request meaning the same, in the same conversation and settings, was answered. */
  HIT_SEMANTIC("HIT-SEMANTIC"),
  /** Looked up, not found: the upstream answered, and the answer is stored if the policy allows. */
  MISS("MISS"),
  /** The cache was not consulted (policy or request headers; {@code X-Semcache-Reason} says why). */
  BYPASS("BYPASS");
  // EXPLORE (issue 13): a hit the core chose to answer from the upstream instead, to measure it. When the
  // core's LookupResult says so, ProxyHandler.lookedUp forwards like a miss and answers with EXPLORE here.

  final String header;

  CacheStatus(String header) {
    this.header = header;
  }
}
