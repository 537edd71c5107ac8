package dev.semcache.server.cli;

import dev.semcache.server.config.ConfigException;
import dev.semcache.server.config.ConfigLoader;
import dev.semcache.server.config.ServerConfig;
import dev.semcache.server.http.SemcacheServer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code semcache serve}: loads the config, runs the server until SIGTERM or SIGINT, then drains and
 * closes it before the process exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = {"Run the cache server.",
        "Settings come from the built-in defaults, then --config FILE (YAML), then SEMCACHE_* environment"
            + " variables, then these flags. Unknown keys are errors. docs/configuration.md lists every key."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:stopped cleanly", "1:could not start (model, storage or port)", "2:invalid configuration"})
final class ServeCommand implements Callable<Integer> {
  static final int CONFIG_ERROR = 2;
  static final int START_FAILED = 1;
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

  @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (also SEMCACHE_CONFIG).")
  Path config;

  @Option(names = "--host", description = "Address to listen on (default 127.0.0.1; anything else needs api_keys).")
  String host;

  @Option(names = "--port", description = "TCP port (default 8080; 0 picks a free one).")
  Integer port;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where entries and the index live (default ./data).")
  Path dataDir;

  @Option(names = "--model", description = "Embedding model (see 'semcache models'; default all-minilm-l6-v2-q).")
  String model;

  @Option(names = "--storage-backend", paramLabel = "BACKEND",
      description = "embedded (default: RocksDB and Lucene in --data-dir) or opensearch (a cluster: docs/cluster.md).")
  String storageBackend;

  @Option(names = "--opensearch-hosts", paramLabel = "URLS",
      description = "OpenSearch nodes for --storage-backend opensearch, comma-separated (http://os1:9200,...).")
  String opensearchHosts;

  @Option(names = "--upstream", paramLabel = "URL", description = "Proxy mode: base URL of the OpenAI-compatible API"
      + " that misses go to, e.g. https://api.openai.com/v1 (proxy.upstream; default: proxy mode off).")
  String upstream;

  @Override
  public Integer call() {
    ServerConfig cfg;
    try {
      Map<String, Object> flags = new LinkedHashMap<>();
      flags.put("host", host);
      flags.put("port", port);
      flags.put("data_dir", dataDir == null ? null : dataDir.toString());
      flags.put("model", model);
      flags.put("storage.backend", storageBackend);
      flags.put("storage.opensearch.hosts", opensearchHosts);
      flags.put("proxy.upstream", upstream);
      cfg = ConfigLoader.load(config, flags);
    } catch (ConfigException e) {
      System.err.println("semcache serve: " + e.getMessage());
      return CONFIG_ERROR;
    }
    LOG.info("effective configuration:\n{}", ConfigLoader.describe(cfg).stripTrailing());
    SemcacheServer server;
    try {
      server = SemcacheServer.start(cfg, Clock.systemUTC(), null);
    } catch (ConfigException e) {
      System.err.println("semcache serve: " + e.getMessage());
      return CONFIG_ERROR;
    } catch (RuntimeException e) {
      System.err.println("semcache serve: cannot listen on " + cfg.host() + ":" + cfg.port() + ": " + e.getMessage());
      return START_FAILED;
    }
    if (cfg.tls().enabled()) {
      HangupSignal.onHangup(server::reloadTls);
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      LOG.info("stopping: draining requests, then closing the store");
      server.close();
      stopped.countDown();
    }, "semcache-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      server.ready().join();
    } catch (RuntimeException e) {
      Runtime.getRuntime().removeShutdownHook(hook);
      server.close();
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      System.err.println("semcache serve: could not start: " + cause.getMessage());
      return cause instanceof ConfigException ? CONFIG_ERROR : START_FAILED;
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }
}
