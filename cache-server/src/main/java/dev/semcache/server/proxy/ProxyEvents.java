package dev.semcache.server.proxy;

import dev.semcache.server.cache.LookupResult;

/** What proxy mode reports to the server's metrics, so proxied traffic counts like v1 traffic. */
public interface ProxyEvents {
  /** A lookup finished in {@code nanos}, from the request's arrival. */
  void lookedUp(String namespace, LookupResult result, long nanos);

  /** An upstream answer was stored. */
  void stored(String namespace, boolean embeddingReused);

  /** A proxied call was answered with this {@code X-Cache-Status}. */
  void answered(String namespace, String cacheStatus);

  ProxyEvents NONE = new ProxyEvents() {
    @Override
    public void lookedUp(String namespace, LookupResult result, long nanos) {}

    @Override
    public void stored(String namespace, boolean embeddingReused) {}

    @Override
    public void answered(String namespace, String cacheStatus) {}
  };
}
