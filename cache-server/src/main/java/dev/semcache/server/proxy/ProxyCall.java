package dev.semcache.server.proxy;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.Map;

/**
 * One proxied request, authenticated by the transport.
 *
 * @param target the path and query as sent ({@code /v1/chat/completions?...})
 * @param headers the request's headers; {@code Authorization} among them is the caller's upstream key,
 *     forwarded and never stored or logged
 * @param body the request body
 * @param namespace the namespace the call reads and writes
 * @param mayStore whether the caller's key may store (role write or admin); a read key only reads
 * @param pinnedScope the scope attributes the caller's key is pinned to (empty: none); they are added to
 *     the scope of every lookup and store of the call, so that a pinned key reads and writes only its own
 *     partition, as in the v1 API
 * @param quota the caller's embedding concurrency quota, around each lookup and store
 */
public record ProxyCall(String target, HttpHeaders headers, byte[] body, String namespace, boolean mayStore,
    Map<String, String> pinnedScope, EmbeddingQuota quota) {

  public ProxyCall {
    pinnedScope = Map.copyOf(pinnedScope);
  }

  /** A call of a key pinned to no scope, without an embedding quota. */
  public ProxyCall(String target, HttpHeaders headers, byte[] body, String namespace, boolean mayStore) {
    this(target, headers, body, namespace, mayStore, Map.of(), EmbeddingQuota.NONE);
  }
}
