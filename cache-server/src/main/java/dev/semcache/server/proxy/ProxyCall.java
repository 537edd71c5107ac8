package dev.semcache.server.proxy;

import io.netty.handler.codec.http.HttpHeaders;

/**
 * One proxied request, authenticated by the transport.
 *
 * @param target the path and query as sent ({@code /v1/chat/completions?...})
 * @param headers the request's headers; {@code Authorization} among them is the caller's upstream key,
 *     forwarded and never stored or logged
 * @param body the request body
 * @param namespace the namespace the call reads and writes
 * @param mayStore whether the caller's key may store (role write or admin); a read key only reads
 */
public record ProxyCall(String target, HttpHeaders headers, byte[] body, String namespace, boolean mayStore) {}
