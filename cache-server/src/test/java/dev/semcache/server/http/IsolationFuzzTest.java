package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.config.ApiKeyConfig;
import dev.semcache.server.config.HttpConfig;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Isolation under random concurrent traffic: threads pick random keys, namespaces, scopes and prompts
 * (the same prompts in every partition, and lookups with threshold 0, so that any leak would be a hit)
 * and store, look up and read entries at once. No answer may carry an entry of a namespace or scope the
 * request did not name, and a key may never act outside its namespaces or pinned scope. Seeded, so a
 * failure reproduces; the seed is in the assertion message.
 */
class IsolationFuzzTest {
  static final List<String> NAMESPACES = List.of("ns-a", "ns-b", "ns-c");
  static final List<String> USERS = List.of("u1", "u2", "u3");

  record Key(String secret, String namespace, String user) {}

  @Test
  void noAnswerEverCrossesANamespaceOrAScope() throws Exception {
    long seed = System.nanoTime();
    List<ApiKeyConfig> configs = new ArrayList<>();
    List<Key> keys = new ArrayList<>();
    configs.add(TestServer.key("ops", "admin-secret", "admin", "*"));
    for (String ns : NAMESPACES) {
      var plain = TestServer.key(ns + "-all", ns + "-all-secret", "write", ns);
      configs.add(plain);
      keys.add(new Key(ns + "-all-secret", ns, null));
      for (String u : USERS) {
        var k = TestServer.key(ns + "-" + u, ns + "-" + u + "-secret", "write", ns);
        configs.add(new ApiKeyConfig(k.name(), k.sha256(), k.role(), k.namespaces(), Map.of("user", u), null, null, null));
        keys.add(new Key(ns + "-" + u + "-secret", ns, u));
      }
    }
    try (TestServer server = new TestServer(TestServer.config(Files.createTempDirectory("isolation"), configs,
        HttpConfig.defaults()), new ManualClock())) {
      for (String ns : NAMESPACES) {
        assertThat(server.call("PUT", "/v1/namespaces/" + ns, Map.of(), "admin-secret").status()).isEqualTo(201);
      }
      ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
      ExecutorService threads = Executors.newFixedThreadPool(6);
      for (int t = 0; t < 6; t++) {
        SplittableRandom random = new SplittableRandom(seed + t);
        threads.execute(() -> {
          for (int i = 0; i < 60; i++) {
            Key key = keys.get(random.nextInt(keys.size()));
            String ns = NAMESPACES.get(random.nextInt(NAMESPACES.size()));
            String user = USERS.get(random.nextInt(USERS.size()));
            String prompt = "How do I reset the password of account " + random.nextInt(5) + "?";
            boolean allowed = key.namespace().equals(ns) && (key.user() == null || key.user().equals(user));
            Map<String, String> scope = Map.of("user", user);
            int op = random.nextInt(3);
            TestServer.Response r = op == 0
                ? server.call("POST", "/v1/entries", Map.of("namespace", ns, "prompt", prompt, "scope", scope,
                    "response", ns + "|" + user + "|answer"), key.secret())
                : server.call("POST", "/v1/lookup", Map.of("namespace", ns, "prompt", prompt + (op == 2 ? " please" : ""),
                    "scope", scope, "threshold", 0.0), key.secret());
            if (!allowed) {
              if (r.status() != 403) {
                violations.add("key " + key + " acted in " + ns + "/" + user + ": " + r.status() + " " + r.text());
              }
              continue;
            }
            if (r.status() != 200 && r.status() != 201) {
              violations.add("refused " + ns + "/" + user + ": " + r.status() + " " + r.text());
              continue;
            }
            JsonNode j = r.json();
            if (op != 0 && j.get("hit").asBoolean()) {
              String response = j.get("response").asText();
              if (!response.startsWith(ns + "|" + user + "|")) {
                violations.add("lookup in " + ns + "/" + user + " served " + response);
              }
              TestServer.Response other = server.call("GET", "/v1/entries/" + j.get("entry_id").asText() + "?namespace="
                  + NAMESPACES.get((NAMESPACES.indexOf(ns) + 1) % NAMESPACES.size()), null, "admin-secret");
              if (other.status() != 404) {
                violations.add("entry of " + ns + " read through another namespace: " + other.status());
              }
            }
            if (i % 10 == 0) {
              server.refresh();
            }
          }
        });
      }
      threads.shutdown();
      assertThat(threads.awaitTermination(120, TimeUnit.SECONDS)).isTrue();
      assertThat(violations).as("seed %d", seed).isEmpty();
      long hits = 0;
      for (String ns : NAMESPACES) {
        hits += server.call("GET", "/v1/namespaces/" + ns + "/stats", null, "admin-secret").json().get("exact_hits").asLong()
            + server.call("GET", "/v1/namespaces/" + ns + "/stats", null, "admin-secret").json().get("semantic_hits").asLong();
      }
      assertThat(hits).as("the traffic produced hits to check (seed %d)", seed).isPositive();
    }
  }
}
