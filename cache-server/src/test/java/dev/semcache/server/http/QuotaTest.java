package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.ManualClock;
import dev.semcache.server.config.ApiKeyConfig;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.quota.ConcurrencyLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Request rate limits per key and per namespace (token buckets), and the embedding concurrency limit. */
class QuotaTest {
  static final String ADMIN = "admin-secret";
  static final String LIMITED = "limited-secret";
  static final String OTHER = "other-secret";

  @Test
  void keysAndNamespacesAreRateLimitedWith429AndRetryAfter() throws IOException {
    var admin = TestServer.key("ops", ADMIN, "admin", "*");
    var plain = TestServer.key("batch-job", LIMITED, "write", "*");
    var limited = new ApiKeyConfig(plain.name(), plain.sha256(), plain.role(), plain.namespaces(), Map.of(), 1.0, 2, null);
    var other = TestServer.key("chat", OTHER, "write", "*");
    ManualClock clock = new ManualClock();
    try (TestServer server = new TestServer(TestServer.config(Files.createTempDirectory("quota"),
        List.of(admin, limited, other), HttpConfig.defaults()), clock)) {
      assertThat(server.call("PUT", "/v1/namespaces/faq", Map.of(), ADMIN).status()).isEqualTo(201);
      Map<String, Object> lookup = Map.of("namespace", "faq", "prompt", "What are your opening hours?");
      assertThat(server.call("POST", "/v1/lookup", lookup, LIMITED).status()).isEqualTo(200);
      assertThat(server.call("POST", "/v1/lookup", lookup, LIMITED).status()).isEqualTo(200);
      TestServer.Response over = server.call("POST", "/v1/lookup", lookup, LIMITED);
      assertThat(over.status()).isEqualTo(429);
      assertThat(over.errorCode()).isEqualTo("rate_limited");
      assertThat(over.header("Retry-After")).isEqualTo("1");
      assertThat(over.json().path("error").path("message").asText()).contains("key 'batch-job'");
      assertThat(server.call("POST", "/v1/lookup", lookup, OTHER).status()).as("another key is not limited").isEqualTo(200);
      clock.advance(Duration.ofSeconds(1));
      assertThat(server.call("POST", "/v1/lookup", lookup, LIMITED).status()).isEqualTo(200);

      TestServer.Response put = server.call("PUT", "/v1/namespaces/small", Map.of("rate_limit_per_s", 0.5,
          "rate_burst", 1), ADMIN);
      assertThat(put.status()).isEqualTo(201);
      assertThat(put.json().get("rate_limit_per_s").asDouble()).isEqualTo(0.5);
      Map<String, Object> small = Map.of("namespace", "small", "prompt", "hello there", "response", "hi");
      assertThat(server.call("POST", "/v1/entries", small, OTHER).status()).isEqualTo(201);
      TestServer.Response ns = server.call("POST", "/v1/lookup", Map.of("namespace", "small", "prompt", "hello there"),
          OTHER);
      assertThat(ns.status()).isEqualTo(429);
      assertThat(ns.header("Retry-After")).isEqualTo("2");
      assertThat(ns.json().path("error").path("message").asText()).contains("namespace 'small'");
      assertThat(server.call("POST", "/v1/lookup", lookup, OTHER).status()).as("another namespace is not limited")
          .isEqualTo(200);
      assertThat(server.call("PUT", "/v1/namespaces/small", Map.of("rate_limit_per_s", -1), ADMIN).status())
          .isEqualTo(400);
    }
  }

  @Test
  void concurrencyLimitsCountEachTenantSeparately() {
    ConcurrencyLimits limits = new ConcurrencyLimits();
    assertThat(limits.tryAcquire("ns:a", 2)).isTrue();
    assertThat(limits.tryAcquire("ns:a", 2)).isTrue();
    assertThat(limits.tryAcquire("ns:a", 2)).isFalse();
    assertThat(limits.tryAcquire("ns:b", 2)).isTrue();
    limits.release("ns:a");
    assertThat(limits.tryAcquire("ns:a", 2)).isTrue();
    assertThat(limits.tryAcquire("ns:c", 0)).as("0 is no limit, still counted").isTrue();
    assertThat(limits.running("ns:c")).isEqualTo(1);
    limits.release("ns:c");
    assertThat(limits.running("ns:c")).isZero();
  }
}
