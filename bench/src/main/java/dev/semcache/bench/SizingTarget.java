package dev.semcache.bench;

/**
 * What a deployment must serve.
 *
 * @param lookupsPerSecond lookups per second at peak
 * @param entries live entries, all in one partition (the costly case for search; many small tenants search less)
 * @param hitRate share of lookups that are hits, exact or semantic
 * @param exactShare share of the hits that are exact (the same prompt again)
 * @param storesPerMiss stores that follow a miss (1: the application stores every answer it had to compute)
 * @param payloadBytes prompt, response and metadata bytes per entry
 * @param utilisation the CPU utilisation to size for (headroom for bursts, GC and compaction)
 */
record SizingTarget(double lookupsPerSecond, long entries, double hitRate, double exactShare, double storesPerMiss,
    long payloadBytes, double utilisation) {

  static final double DEFAULT_EXACT_SHARE = 0.5;
  static final double DEFAULT_STORES_PER_MISS = 1;
  static final long DEFAULT_PAYLOAD_BYTES = 1_000;
  static final double DEFAULT_UTILISATION = 0.7;

  SizingTarget {
    if (!(lookupsPerSecond > 0) || Double.isInfinite(lookupsPerSecond)) {
      throw new IllegalArgumentException("lookups per second must be positive; lookupsPerSecond=" + lookupsPerSecond);
    }
    if (entries < 0) {
      throw new IllegalArgumentException("entries must not be negative; entries=" + entries);
    }
    if (!(hitRate >= 0 && hitRate <= 1)) {
      throw new IllegalArgumentException("the hit rate must be between 0 and 1; hitRate=" + hitRate);
    }
    if (!(exactShare >= 0 && exactShare <= 1)) {
      throw new IllegalArgumentException("the exact share must be between 0 and 1; exactShare=" + exactShare);
    }
    if (!(storesPerMiss >= 0) || Double.isInfinite(storesPerMiss)) {
      throw new IllegalArgumentException("stores per miss must not be negative; storesPerMiss=" + storesPerMiss);
    }
    if (payloadBytes < 0) {
      throw new IllegalArgumentException("payload bytes must not be negative; payloadBytes=" + payloadBytes);
    }
    if (!(utilisation > 0 && utilisation <= 1)) {
      throw new IllegalArgumentException("the target utilisation must be in (0, 1]; utilisation=" + utilisation);
    }
  }

  double exactHitsPerSecond() {
    return lookupsPerSecond * hitRate * exactShare;
  }

  double semanticHitsPerSecond() {
    return lookupsPerSecond * hitRate * (1 - exactShare);
  }

  double missesPerSecond() {
    return lookupsPerSecond * (1 - hitRate);
  }
}
