package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * Proxy mode: semcache answers OpenAI-compatible calls itself and forwards misses to an upstream.
 *
 * @param upstream base URL of the OpenAI-compatible API that misses go to, version path included
 *     ({@code https://api.openai.com/v1}); empty turns proxy mode off
 * @param connectTimeoutS how long connecting to the upstream may take
 * @param timeoutS how long the upstream may take to start its answer (the status and headers), and the
 *     longest pause between two chunks of a streamed answer
 * @param defaultNamespace the namespace of a proxied call that names none with {@code
 *     X-Semcache-Namespace} (and whose key is not limited to exactly one namespace)
 * @param audits whether the proxy audits sampled hits itself, by calling the upstream in the background
 */
public record ProxyConfig(
    @JsonProperty("upstream") String upstream,
    @JsonProperty("connect_timeout_s") int connectTimeoutS,
    @JsonProperty("timeout_s") int timeoutS,
    @JsonProperty("default_namespace") String defaultNamespace,
    @JsonProperty("audits") boolean audits) {

  public ProxyConfig {
    upstream = upstream == null ? "" : upstream.strip();
    if (!upstream.isEmpty()) {
      try {
        URI u = new URI(upstream);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
          throw new IllegalArgumentException("proxy.upstream must be an http:// or https:// base URL such as"
              + " https://api.openai.com/v1; proxy.upstream=" + upstream);
        }
      } catch (URISyntaxException e) {
        throw new IllegalArgumentException("proxy.upstream is not a URL (" + e.getReason() + "); proxy.upstream=" + upstream);
      }
      while (upstream.endsWith("/")) {
        upstream = upstream.substring(0, upstream.length() - 1);
      }
    }
    HttpConfig.positive("proxy.connect_timeout_s", connectTimeoutS);
    HttpConfig.positive("proxy.timeout_s", timeoutS);
    if (defaultNamespace == null || defaultNamespace.isBlank()) {
      throw new IllegalArgumentException("proxy.default_namespace must name a namespace; proxy.default_namespace="
          + defaultNamespace);
    }
  }

  public static ProxyConfig defaults() {
    return new ProxyConfig("", 10, 120, "default", true);
  }

  /** Whether proxy mode is on. */
  public boolean enabled() {
    return !upstream.isEmpty();
  }
}
