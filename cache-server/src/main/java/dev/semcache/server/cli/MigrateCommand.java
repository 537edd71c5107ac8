package dev.semcache.server.cli;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.index.Entry;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.RocksEntryStore;
import dev.semcache.index.StorageOptions;
import dev.semcache.server.config.OpenSearchConfig;
import dev.semcache.storage.opensearch.OpenSearchCacheStorage;
import dev.semcache.storage.opensearch.OpenSearchOptions;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code semcache migrate --to opensearch}: copies an embedded data directory (entries with their stored
 * embeddings, namespace configs, audit verdicts and statistics) into an OpenSearch cluster, in bulk
 * requests, printing progress. Nothing is re-embedded. The data directory is only read; stop the server
 * that uses it first (RocksDB admits one process).
 */
@Command(name = "migrate", mixinStandardHelpOptions = true,
    description = {"Copy an embedded data directory into an OpenSearch cluster (docs/cluster.md).",
        "Entries keep their embeddings, expiry and hit counts; configs and audit records come along."})
final class MigrateCommand implements Callable<Integer> {
  static final int BATCH = 500;

  @Option(names = "--to", required = true, description = "Where to: opensearch (the only target).")
  String to;

  @Option(names = "--data-dir", required = true, paramLabel = "DIR", description = "The embedded data directory to read.")
  Path dataDir;

  @Option(names = "--hosts", required = true, paramLabel = "URLS",
      description = "OpenSearch nodes, comma-separated (http://os1:9200,http://os2:9200).")
  String hosts;

  @Option(names = "--index-prefix", defaultValue = "semcache-", description = "Index name prefix (default: ${DEFAULT-VALUE}).")
  String indexPrefix;

  @Option(names = "--shards", defaultValue = "1", description = "Primary shards of the entries index (default: ${DEFAULT-VALUE}).")
  int shards;

  @Option(names = "--replicas", defaultValue = "1", description = "Replicas of every shard (default: ${DEFAULT-VALUE}).")
  int replicas;

  @Option(names = "--username", description = "Basic-auth user (with --password).")
  String username;

  @Option(names = "--password", description = "Basic-auth password (with --username).")
  String password;

  @Override
  public Integer call() {
    PrintStream out = System.out;
    if (!"opensearch".equals(to)) {
      System.err.println("semcache migrate: --to must be opensearch; to=" + to);
      return 2;
    }
    if (!Files.isDirectory(dataDir.resolve("store"))) {
      System.err.println("semcache migrate: " + dataDir + " is not a semcache data directory (no store/ in it)");
      return 2;
    }
    OpenSearchOptions target;
    try {
      target = new OpenSearchConfig(hosts, indexPrefix, shards, replicas, username, password,
          OpenSearchOptions.defaults().connectTimeout().toMillis(), 30_000).toOptions();
    } catch (IllegalArgumentException e) {
      System.err.println("semcache migrate: " + e.getMessage());
      return 2;
    }
    long t0 = System.nanoTime();
    try (RocksEntryStore source = RocksEntryStore.open(dataDir.resolve("store"), 16L << 20, false)) {
      int dimension = dimension(source);
      StorageOptions options = StorageOptions.defaults().withIntervals(Duration.ofHours(1), Duration.ofHours(1),
          Duration.ofHours(1));
      options = new StorageOptions(dimension, options.maxEntries(), options.maxBytes(), options.blockCacheBytes(),
          false, options.vectorFormat(), options.maxConn(), options.beamWidth(), options.candidates(),
          options.refreshInterval(), options.commitInterval(), options.sweepInterval(), options.compaction());
      try (OpenSearchCacheStorage cluster = OpenSearchCacheStorage.open(target, options, Clock.systemUTC())) {
        List<String> namespaces = source.namespaces();
        for (String ns : namespaces) {
          NamespaceConfig c = source.namespace(ns).orElseThrow();
          cluster.putConfig(ns, c);
        }
        out.println("namespaces: " + namespaces.size() + " configs copied");
        long total = source.count();
        long now = System.currentTimeMillis();
        AtomicLong copied = new AtomicLong();
        AtomicLong expired = new AtomicLong();
        List<Entry> batch = new ArrayList<>(BATCH);
        long[] lastReport = {System.nanoTime()};
        source.forEachEntry(e -> {
          if (!e.isLiveAt(now)) {
            expired.incrementAndGet();
            return;
          }
          batch.add(e);
          if (batch.size() == BATCH) {
            copied.addAndGet(cluster.importEntries(batch));
            batch.clear();
            if (System.nanoTime() - lastReport[0] > Duration.ofSeconds(2).toNanos()) {
              out.printf("entries: %,d of %,d copied%n", copied.get(), total);
              lastReport[0] = System.nanoTime();
            }
          }
        });
        copied.addAndGet(cluster.importEntries(batch));
        out.printf("entries: %,d copied, %,d expired ones left behind%n", copied.get(), expired.get());
        Map<String, byte[]> records = new LinkedHashMap<>();
        AtomicLong recordCount = new AtomicLong();
        source.forEachRecord("", (k, v) -> {
          records.put(k, v);
          if (records.size() == BATCH) {
            cluster.putRecords(records);
            recordCount.addAndGet(records.size());
            records.clear();
          }
        });
        cluster.putRecords(records);
        recordCount.addAndGet(records.size());
        out.printf("records: %,d copied (audit verdicts, feedback, statistics)%n", recordCount.get());
        cluster.refreshIndex();
        out.printf("done in %.1f s: %,d entries in %s (prefix %s)%n", (System.nanoTime() - t0) / 1e9,
            cluster.entryCount(), target.hosts(), target.indexPrefix());
      }
      return 0;
    } catch (RuntimeException e) {
      System.err.println("semcache migrate: " + e.getMessage());
      return 1;
    }
  }

  /** The vectors' dimension: the recorded model's, or the first entry's. */
  private int dimension(RocksEntryStore source) {
    Path marker = dataDir.resolve("model");
    try {
      if (Files.exists(marker)) {
        return ModelSpec.named(Files.readString(marker).strip()).dimension();
      }
    } catch (java.io.IOException | IllegalArgumentException e) {
      // fall through to the entries themselves
    }
    int[] d = {StorageOptions.defaults().dimension()};
    boolean[] seen = {false};
    source.forEachEntry(e -> {
      if (!seen[0]) {
        d[0] = e.embedding().length;
        seen[0] = true;
      }
    });
    return d[0];
  }
}
