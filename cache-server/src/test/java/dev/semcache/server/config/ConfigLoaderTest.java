package dev.semcache.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semcache.index.PromptOverflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir
  Path dir;

  Path file(String yaml) throws Exception {
    Path f = dir.resolve("semcache.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  static Map<String, Object> flags(Object... kv) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  @Test
  void defaultsAreTheEmbeddedOnes() {
    ServerConfig c = ConfigLoader.load(null, Map.of(), Map.of());
    assertThat(c).isEqualTo(ServerConfig.defaults());
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.namespaceDefaults().promptOverflow()).isEqualTo(PromptOverflow.REJECT);
    assertThat(c.loopbackOnly()).isTrue();
  }

  @Test
  void fileThenEnvironmentThenFlagsEachOverrideTheOneBefore() throws Exception {
    Path f = file("""
        port: 9000
        data_dir: /var/lib/semcache
        http:
          max_body_bytes: 2048
        namespace_defaults:
          threshold: 0.85
          prompt_overflow: truncate
        api_keys:
          - name: gw
            sha256: %s
            role: write
            namespaces: [faq]
        """.formatted("ab".repeat(32)));
    ServerConfig fromFile = ConfigLoader.load(f, Map.of(), Map.of());
    assertThat(fromFile.port()).isEqualTo(9000);
    assertThat(fromFile.http().maxBodyBytes()).isEqualTo(2048);
    assertThat(fromFile.http().maxInFlight()).as("untouched keys keep defaults").isEqualTo(512);
    assertThat(fromFile.namespaceDefaults().threshold()).isEqualTo(0.85);
    assertThat(fromFile.namespaceDefaults().promptOverflow()).isEqualTo(PromptOverflow.TRUNCATE);
    assertThat(fromFile.apiKeys()).hasSize(1);

    Map<String, String> env = Map.of("SEMCACHE_PORT", "9100", "SEMCACHE_HTTP_MAX_BODY_BYTES", "4096",
        "SEMCACHE_NAMESPACE_DEFAULTS_SLIDING_TTL", "true", "PATH", "/usr/bin", "SEMCACHE_NO_BUILD", "1", "SEMCACHE_LOG_LEVEL", "DEBUG");
    ServerConfig fromEnv = ConfigLoader.load(f, env, Map.of());
    assertThat(fromEnv.port()).isEqualTo(9100);
    assertThat(fromEnv.http().maxBodyBytes()).isEqualTo(4096);
    assertThat(fromEnv.namespaceDefaults().slidingTtl()).isTrue();
    assertThat(fromEnv.dataDir()).isEqualTo("/var/lib/semcache");

    ServerConfig fromFlags = ConfigLoader.load(f, env, flags("port", 9200, "data_dir", "/tmp/x", "host", null));
    assertThat(fromFlags.port()).isEqualTo(9200);
    assertThat(fromFlags.dataDir()).isEqualTo("/tmp/x");
    assertThat(fromFlags.host()).isEqualTo("127.0.0.1");
  }

  @Test
  void theConfigFileCanComeFromTheEnvironment() throws Exception {
    Path f = file("port: 9300\n");
    assertThat(ConfigLoader.load(null, Map.of("SEMCACHE_CONFIG", f.toString()), Map.of()).port()).isEqualTo(9300);
  }

  @Test
  void unknownKeysAreErrorsThatNameTheKeyAndTheFile() throws Exception {
    Path top = file("prot: 9000\n");
    assertThatThrownBy(() -> ConfigLoader.load(top, Map.of(), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown config key 'prot'").hasMessageContaining(top.toString())
        .hasMessageContaining("port");
    Path nested = file("http:\n  max_body: 10\n");
    assertThatThrownBy(() -> ConfigLoader.load(nested, Map.of(), Map.of()))
        .hasMessageContaining("unknown config key 'http.max_body'").hasMessageContaining("max_body_bytes");
    Path inKey = file("api_keys:\n  - name: a\n    sha256: " + "ab".repeat(32) + "\n    role: read\n    namespaces: ['*']\n"
        + "    secret: oops\n");
    assertThatThrownBy(() -> ConfigLoader.load(inKey, Map.of(), Map.of()))
        .hasMessageContaining("unknown config key 'api_keys.0.secret'");
  }

  @Test
  void theStorageBackendComesFromFileEnvironmentOrFlag() throws Exception {
    assertThat(ConfigLoader.load(null, Map.of(), Map.of()).storage().backend()).as("the default").isEqualTo("embedded");
    ServerConfig fromFile = ConfigLoader.load(file("storage:\n  backend: opensearch\n  opensearch:\n"
        + "    hosts: http://os1:9200,http://os2:9200\n    index_prefix: cache-\n    replicas: 2\n"), Map.of(), Map.of());
    assertThat(fromFile.storage().clustered()).isTrue();
    assertThat(fromFile.storage().opensearch().toOptions().hosts()).containsExactly("http://os1:9200", "http://os2:9200");
    assertThat(fromFile.storage().opensearch().toOptions().replicas()).isEqualTo(2);
    ServerConfig fromEnv = ConfigLoader.load(null, Map.of("SEMCACHE_STORAGE_BACKEND", "opensearch",
        "SEMCACHE_STORAGE_OPENSEARCH_HOSTS", "http://os3:9200", "SEMCACHE_STORAGE_OPENSEARCH_USERNAME", "semcache",
        "SEMCACHE_STORAGE_OPENSEARCH_PASSWORD", "secret"), Map.of());
    assertThat(fromEnv.storage().opensearch().toOptions().hosts()).containsExactly("http://os3:9200");
    assertThat(fromEnv.storage().opensearch().toOptions().username()).isEqualTo("semcache");
    ServerConfig fromFlag = ConfigLoader.load(null, Map.of("SEMCACHE_STORAGE_BACKEND", "opensearch"),
        Map.of("storage.backend", "embedded"));
    assertThat(fromFlag.storage().clustered()).isFalse();
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SEMCACHE_STORAGE_BACKEND", "cassandra"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("storage.backend=cassandra");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SEMCACHE_STORAGE_OPENSEARCH_HOSTS", "os1:9200"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("host='os1:9200'");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SEMCACHE_STORAGE_OPENSEARCH_USERNAME", "u"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("username and password go together");
  }

  @Test
  void unknownEnvironmentVariablesAreErrors() {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SEMCACHE_PROT", "1"), Map.of()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("unknown environment variable SEMCACHE_PROT")
        .hasMessageContaining("SEMCACHE_PORT");
  }

  @Test
  void wrongTypesAndBadValuesNameTheKeyAndValue() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SEMCACHE_PORT", "eighty"), Map.of()))
        .isInstanceOf(ConfigException.class).hasMessageContaining("'port'").hasMessageContaining("eighty");
    assertThatThrownBy(() -> ConfigLoader.load(file("port: 70000\n"), Map.of(), Map.of()))
        .hasMessageContaining("port=70000");
    assertThatThrownBy(() -> ConfigLoader.load(file("namespace_defaults:\n  threshold: 1.2\n"), Map.of(), Map.of()))
        .hasMessageContaining("threshold=1.2");
    assertThatThrownBy(() -> ConfigLoader.load(file("storage:\n  vector_format: int3\n"), Map.of(), Map.of()))
        .hasMessageContaining("storage.vector_format=int3");
    assertThatThrownBy(() -> ConfigLoader.load(file("model: gpt-4\n"), Map.of(), Map.of()))
        .hasMessageContaining("model=gpt-4");
    assertThatThrownBy(() -> ConfigLoader.load(file("api_keys:\n  - name: a\n    sha256: nothex\n    role: read\n"
        + "    namespaces: [faq]\n"), Map.of(), Map.of())).hasMessageContaining("api_keys.a.sha256");
    assertThatThrownBy(() -> ConfigLoader.load(file("api_keys:\n  - name: a\n    sha256: " + "ab".repeat(32)
        + "\n    role: root\n    namespaces: [faq]\n"), Map.of(), Map.of())).hasMessageContaining("api_keys.a.role=root");
    assertThatThrownBy(() -> ConfigLoader.load(file("port: [1, 2\n"), Map.of(), Map.of()))
        .hasMessageContaining("not valid YAML");
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("missing.yaml"), Map.of(), Map.of()))
        .hasMessageContaining("does not exist");
  }

  @Test
  void proxyModeIsSetFromTheFileTheEnvironmentOrTheFlag() throws Exception {
    assertThat(ConfigLoader.load(null, Map.of(), Map.of()).proxy().enabled()).isFalse();
    ServerConfig fromFile = ConfigLoader.load(file("proxy:\n  upstream: https://api.openai.com/v1/\n  timeout_s: 30\n"
        + "namespace_defaults:\n  cache_nondeterministic: true\n  fingerprint_window: 4\n"), Map.of(), Map.of());
    assertThat(fromFile.proxy().upstream()).isEqualTo("https://api.openai.com/v1");
    assertThat(fromFile.proxy().timeoutS()).isEqualTo(30);
    assertThat(fromFile.namespaceDefaults().cacheNondeterministic()).isTrue();
    assertThat(fromFile.namespaceDefaults().fingerprintWindow()).isEqualTo(4);
    assertThat(ConfigLoader.load(null, Map.of("SEMCACHE_PROXY_UPSTREAM", "http://127.0.0.1:9/v1",
        "SEMCACHE_NAMESPACE_DEFAULTS_CACHE_NON_TEXT", "true"), Map.of()).proxy().upstream())
        .isEqualTo("http://127.0.0.1:9/v1");
    Map<String, Object> flags = new HashMap<>();
    flags.put("proxy.upstream", "http://localhost:8000/v1");
    assertThat(ConfigLoader.load(null, Map.of("SEMCACHE_PROXY_UPSTREAM", "http://127.0.0.1:9/v1"), flags).proxy().upstream())
        .isEqualTo("http://localhost:8000/v1");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SEMCACHE_PROXY_UPSTREAM", "ftp://x/v1"), Map.of()))
        .hasMessageContaining("proxy.upstream=ftp://x/v1");
    assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("SEMCACHE_PROXY_TIMEOUT_S", "0"), Map.of()))
        .hasMessageContaining("proxy.timeout_s=0");
  }

  @Test
  void everyScalarKeyHasAnEnvironmentVariable() {
    Map<String, String> vars = ConfigLoader.environmentVariables();
    assertThat(vars).containsEntry("SEMCACHE_HTTP_MAX_IN_FLIGHT", "http.max_in_flight")
        .containsEntry("SEMCACHE_NAMESPACE_DEFAULTS_THRESHOLD", "namespace_defaults.threshold")
        .containsEntry("SEMCACHE_DATA_DIR", "data_dir")
        .containsEntry("SEMCACHE_PROXY_UPSTREAM", "proxy.upstream")
        .containsEntry("SEMCACHE_NAMESPACE_DEFAULTS_CACHE_NONDETERMINISTIC", "namespace_defaults.cache_nondeterministic")
        .doesNotContainKey("SEMCACHE_API_KEYS");
  }

  @Test
  void theLoggedConfigShortensKeyHashes() throws Exception {
    String hash = "cd".repeat(32);
    ServerConfig c = ConfigLoader.load(file("api_keys:\n  - name: gw\n    sha256: " + hash + "\n    role: admin\n"
        + "    namespaces: ['*']\n"), Map.of(), Map.of());
    String text = ConfigLoader.describe(c);
    assertThat(text).contains("name: gw").contains("cdcdcdcd...").doesNotContain(hash);
  }

  @Test
  void anyAddressBeyondLoopbackIsNotLoopbackOnly() {
    ServerConfig d = ServerConfig.defaults();
    ServerConfig wide = ConfigLoader.load(null, Map.of("SEMCACHE_HOST", "0.0.0.0"), new HashMap<>());
    assertThat(wide.loopbackOnly()).isFalse();
    assertThat(d.loopbackOnly()).isTrue();
  }
}
