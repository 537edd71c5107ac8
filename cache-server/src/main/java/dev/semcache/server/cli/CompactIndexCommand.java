package dev.semcache.server.cli;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.index.CompactionPolicy;
import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.StorageOptions;
import dev.semcache.server.config.ConfigException;
import dev.semcache.server.config.ConfigLoader;
import dev.semcache.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code semcache compact-index}: force-merges an embedded data directory's vector index to a few
 * segments, with the server stopped (RocksDB and Lucene admit one process). Lucene's own merging leaves
 * about nine segments at a million entries; two search in about half the time at the same recall
 * (bench/README.md, issue 15). Worth running after a bulk load; new writes add small segments again,
 * which cost little.
 */
@Command(name = "compact-index", mixinStandardHelpOptions = true,
    description = {"Merge the vector index of an embedded data directory into a few segments (stop the server first).",
        "Settings come from the defaults, then --config FILE, then SEMCACHE_* variables, as for 'serve'."})
final class CompactIndexCommand implements Callable<Integer> {
  static final int FAILED = 1;

  @Option(names = "--config", paramLabel = "FILE", description = "YAML config file (also SEMCACHE_CONFIG).")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "The data directory (default: the config's, ./data).")
  Path dataDir;

  @Option(names = "--segments", defaultValue = "2", description = "Segments at most after the merge (default: ${DEFAULT-VALUE}).")
  int segments;

  @Override
  public Integer call() {
    ServerConfig cfg;
    try {
      Map<String, Object> flags = new LinkedHashMap<>();
      flags.put("data_dir", dataDir == null ? null : dataDir.toString());
      cfg = ConfigLoader.load(config, flags);
    } catch (ConfigException e) {
      System.err.println("semcache compact-index: " + e.getMessage());
      return ServeCommand.CONFIG_ERROR;
    }
    if (segments < 1) {
      System.err.println("semcache compact-index: --segments must be at least 1; segments=" + segments);
      return ServeCommand.CONFIG_ERROR;
    }
    if (cfg.storage().clustered()) {
      System.err.println("semcache compact-index: storage.backend is opensearch; OpenSearch merges its own segments");
      return ServeCommand.CONFIG_ERROR;
    }
    Path dir = Path.of(cfg.dataDir());
    if (!Files.isDirectory(dir.resolve("store"))) {
      System.err.println("semcache compact-index: " + dir + " is not a semcache data directory (no store/ in it)");
      return ServeCommand.CONFIG_ERROR;
    }
    // This command merges by itself: the storage's own compaction stays off.
    StorageOptions options = cfg.storage().toOptions(ModelSpec.named(cfg.model()).dimension())
        .withCompaction(CompactionPolicy.off());
    EmbeddedCacheStorage storage;
    try {
      storage = EmbeddedCacheStorage.open(dir, options, Clock.systemUTC());
    } catch (RuntimeException e) {
      System.err.println("semcache compact-index: cannot open " + dir + " (is a server using it? stop it first): "
          + e.getMessage());
      return FAILED;
    }
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().name("compact-progress").daemon(true).factory());
    try (storage) {
      int before = storage.indexSegments().getAsInt();
      System.out.printf("compact-index: %s holds %d segments; merging to at most %d (minutes for a million entries)%n",
          dir, before, segments);
      long start = System.nanoTime();
      ticker.scheduleAtFixedRate(() -> System.out.printf("compact-index: merging, %d s so far%n",
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start)), 10, 10, TimeUnit.SECONDS);
      int after = storage.compactIndex(segments);
      System.out.printf("compact-index: done in %.1f s: %d segments (was %d)%n", (System.nanoTime() - start) / 1e9,
          after, before);
      return 0;
    } catch (RuntimeException e) {
      System.err.println("semcache compact-index: the merge failed: " + e.getMessage());
      return FAILED;
    } finally {
      ticker.shutdownNow();
    }
  }
}
