package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.ManualClock;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.config.LimitsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * With keys, {@code /metrics} and the dashboard's figures need a key with the metrics role (or admin),
 * and no caller can grow the namespace label's cardinality.
 */
class MetricsAccessTest {
  static final String ADMIN = "admin-secret";
  static final String METRICS = "metrics-secret";
  static final String READER = "reader-secret";

  @Test
  void metricsNeedTheMetricsRoleAndNamespaceLabelsAreBounded() throws IOException {
    LimitsConfig limits = new LimitsConfig(64L << 20, 64L << 20, 0.25, 10_000, 1_000, 2);
    try (TestServer server = new TestServer(TestServer.config(Files.createTempDirectory("metrics"), List.of(
        TestServer.key("ops", ADMIN, "admin", "*"),
        TestServer.key("prometheus", METRICS, "metrics", "*"),
        TestServer.key("reader", READER, "read", "*")), HttpConfig.defaults()).withLimits(limits), new ManualClock())) {
      assertThat(server.call("GET", "/metrics", null).status()).isEqualTo(401);
      assertThat(server.call("GET", "/metrics", null, READER).status()).isEqualTo(403);
      assertThat(server.call("GET", "/metrics", null, ADMIN).status()).isEqualTo(200);

      for (String ns : List.of("alpha", "beta", "gamma", "delta")) {
        assertThat(server.call("PUT", "/v1/namespaces/" + ns, Map.of(), ADMIN).status()).isEqualTo(201);
        assertThat(server.call("POST", "/v1/lookup", Map.of("namespace", ns, "prompt", "hello " + ns), READER).status())
            .isEqualTo(200);
      }
      TestServer.Response scrape = server.call("GET", "/metrics", null, METRICS);
      assertThat(scrape.status()).isEqualTo(200);
      Set<String> labels = new TreeSet<>();
      Matcher m = Pattern.compile("namespace=\"([^\"]*)\"").matcher(scrape.text());
      while (m.find()) {
        labels.add(m.group(1));
      }
      assertThat(labels).hasSize(3).contains("other");
      assertThat(scrape.text()).contains("semcache_lookups_total{namespace=\"other\",result=\"miss\"} 2.0");

      // the dashboard's figures, but not prompts and not the API itself
      assertThat(server.call("GET", "/v1/namespaces", null, METRICS).json().get("namespaces")).hasSize(4);
      assertThat(server.call("GET", "/v1/namespaces/alpha/stats", null, METRICS).status()).isEqualTo(200);
      assertThat(server.call("GET", "/v1/namespaces/alpha/analysis", null, METRICS).status()).isEqualTo(200);
      assertThat(server.call("GET", "/v1/namespaces/alpha/audits", null, METRICS).status()).isEqualTo(403);
      assertThat(server.call("POST", "/v1/lookup", Map.of("namespace", "alpha", "prompt", "hi"), METRICS).status())
          .isEqualTo(403);
    }
  }
}
