package dev.semcache.server.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Locale;

/**
 * What a caller asks of the cache for one request, in the headers users already know (docs/proxy.md).
 *
 * @param noCache {@code Cache-Control: no-cache}: do not look up, call the upstream, store its answer
 * @param noStore {@code Cache-Control: no-store}: neither look up nor store
 * @param maxAgeS {@code Cache-Control: max-age=N}: accept only a hit stored at most N seconds ago; null for any
 * @param threshold {@code X-Semcache-Threshold}: the similarity threshold of this lookup; null for the namespace's
 * @param ttlS {@code X-Semcache-TTL}: time to live of the entry this request stores; null for the namespace's
 */
record CacheControls(boolean noCache, boolean noStore, Long maxAgeS, Double threshold, Long ttlS) {
  static final String NAMESPACE = "X-Semcache-Namespace";
  static final String THRESHOLD = "X-Semcache-Threshold";
  static final String TTL = "X-Semcache-TTL";

  static final CacheControls NONE = new CacheControls(false, false, null, null, null);

  /**
   * The controls of a request.
   *
   * @throws ProxyRequestException 400 naming the header and the value if one is malformed
   */
  static CacheControls of(HttpHeaders headers) {
    boolean noCache = false;
    boolean noStore = false;
    Long maxAge = null;
    for (String value : headers.getAll("Cache-Control")) {
      for (String part : value.split(",")) {
        String d = part.strip().toLowerCase(Locale.ROOT);
        if (d.equals("no-cache")) {
          noCache = true;
        } else if (d.equals("no-store")) {
          noStore = true;
        } else if (d.startsWith("max-age=")) {
          maxAge = nonNegative("Cache-Control max-age", d.substring(8));
        }
        // Other directives (private, no-transform...) say nothing to a cache in front of a model.
      }
    }
    Double threshold = null;
    String t = headers.get(THRESHOLD);
    if (t != null) {
      try {
        threshold = Double.parseDouble(t.strip());
      } catch (NumberFormatException e) {
        threshold = Double.NaN;
      }
      if (!(threshold >= 0 && threshold <= 1)) {
        throw ProxyRequestException.invalid(THRESHOLD + " must be a number between 0 and 1; " + THRESHOLD + "="
            + abbreviate(t));
      }
    }
    Long ttl = null;
    String ttlText = headers.get(TTL);
    if (ttlText != null) {
      ttl = nonNegative(TTL, ttlText.strip());
      if (ttl == 0) {
        throw ProxyRequestException.invalid(TTL + " must be a positive number of seconds; " + TTL + "=0");
      }
    }
    return new CacheControls(noCache, noStore, maxAge, threshold, ttl);
  }

  private static long nonNegative(String what, String text) {
    try {
      long v = Long.parseLong(text.strip());
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ProxyRequestException.invalid(what + " must be a whole number of seconds, 0 or more; got '"
        + abbreviate(text) + "'");
  }

  static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
