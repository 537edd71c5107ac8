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
  BYPASS("BYPASS"),
  /**
   * A miss for the caller in a {@code verified} namespace, chosen to teach the nearest entry: forwarded
   * like a miss, and its stored answer (stored with the lookup's id) settles the audit (docs/verified.md).
   */
  EXPLORE("EXPLORE");

  final String header;

  CacheStatus(String header) {
    this.header = header;
  }
}
