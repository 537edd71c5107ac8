package dev.semcache.server.quota;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.time.InstantSource;

/**
 * Request rate limits, one token bucket (Bucket4j) per API key and per namespace that has a limit. A
 * bucket holds up to {@code burst} requests and refills at {@code ratePerS}; a request takes one token
 * or is refused with the time until the next one. Buckets of idle tenants are dropped after ten minutes
 * (a dropped bucket comes back full, which an idle tenant's would be by then anyway), so the table stays
 * as small as the set of active tenants. A changed limit takes effect at once, with a full bucket.
 */
public final class RateLimits {
  private record Limited(double ratePerS, int burst, Bucket bucket) {}

  private final Cache<String, Limited> buckets;
  private final TimeMeter time;

  public RateLimits(InstantSource clock) {
    this.time = new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return clock.millis() * 1_000_000L;
      }

      @Override
      public boolean isWallClockBased() {
        return true;
      }
    };
    this.buckets = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(10)).maximumSize(1_000_000).build();
  }

  /**
   * Takes one request from the bucket of {@code tenant}.
   *
   * @param tenant what the limit belongs to ({@code "key:ops"}, {@code "ns:faq"})
   * @param ratePerS requests a second; 0 or less means no limit
   * @param burst requests that may come at once; 0 means one second's worth (at least 1)
   * @return 0 if the request may go on, else the nanoseconds until it would
   */
  public long tryAcquire(String tenant, double ratePerS, int burst) {
    if (!(ratePerS > 0)) {
      return 0;
    }
    int capacity = burst > 0 ? burst : (int) Math.max(1, Math.ceil(ratePerS));
    Limited l = buckets.asMap().compute(tenant, (k, old) ->
        old != null && old.ratePerS() == ratePerS && old.burst() == capacity ? old
            : new Limited(ratePerS, capacity, Bucket.builder()
                .addLimit(limit -> limit.capacity(capacity).refillGreedy(1, Duration.ofNanos((long) (1e9 / ratePerS))))
                .withCustomTimePrecision(time)
                .build()));
    ConsumptionProbe p = l.bucket().tryConsumeAndReturnRemaining(1);
    return p.isConsumed() ? 0 : Math.max(1, p.getNanosToWaitForRefill());
  }
}
