package dev.semcache.server.http;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.StorageOptions;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.config.ConfigException;
import dev.semcache.server.config.ServerConfig;
import dev.semcache.storage.opensearch.OpenSearchCacheStorage;
import dev.semcache.server.proxy.ProxyEvents;
import dev.semcache.server.proxy.ProxyHandler;
import dev.semcache.server.proxy.UpstreamClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running semcache: every part wired by hand, here and nowhere else.
 *
 * <p>Start order: the port is bound first and answers {@code /healthz} (200) and {@code /readyz} (503
 * "starting"); then the model and the storage load (the index may be replayed or rebuilt), and only
 * then does {@code /readyz} answer 200 and the API serve. Close order: {@code /readyz} turns 503, the
 * port stops accepting, requests in progress get up to {@code http.drain_timeout_s} to finish,
 * connections close, and the storage commits its index and closes the store.
 */
public final class SemcacheServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SemcacheServer.class);

  private final ServerConfig config;
  private final InstantSource clock;
  private final ParallelEmbedder sharedEmbedder;
  private final ApiKeys keys;
  private final ServerMetrics metrics;
  private final ExecutorService workers;
  private final Dispatcher dispatcher;
  private final HttpServer http;
  private final CompletableFuture<Void> ready = new CompletableFuture<>();
  private volatile Dispatcher.State state = Dispatcher.State.STARTING;
  private volatile SemanticCache cache;
  private volatile Api api;
  private volatile ProxyRoute proxy;
  private UpstreamClient upstream;
  private volatile boolean closed;
  private ParallelEmbedder ownEmbedder;
  private final TlsContext tls;
  private volatile CacheStorage storage;

  private SemcacheServer(ServerConfig config, InstantSource clock, ParallelEmbedder sharedEmbedder)
      throws InterruptedException {
    this.config = config;
    this.clock = clock;
    this.sharedEmbedder = sharedEmbedder;
    this.keys = new ApiKeys(config.apiKeys());
    if (!keys.enabled() && !config.loopbackOnly()) {
      throw new ConfigException("host " + config.host() + " is reachable from other machines, and no api_keys are"
          + " configured: semcache refuses to serve without keys beyond loopback. Add api_keys to the config"
          + " (semcache keygen makes one) or listen on 127.0.0.1");
    }
    this.metrics = new ServerMetrics(() -> cache, () -> storage, config.model(), config.limits().metricsNamespaces());
    int threads = config.http().effectiveWorkerThreads();
    AtomicInteger n = new AtomicInteger();
    this.workers = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(2 * config.http().maxInFlight()), r -> {
          Thread t = new Thread(r, "semcache-worker-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.dispatcher = new Dispatcher(() -> api, () -> proxy, () -> state, metrics, workers, config.http().maxInFlight(),
        config.http().retryAfterS(), keys);
    this.tls = config.tls().enabled() ? new TlsContext(config.tls()) : null;
    try {
      this.http = new HttpServer(config.host(), config.port(), config.http().effectiveIoThreads(),
          config.http().maxBodyBytes(), config.http().requestTimeoutS(), config.http().idleTimeoutS(), dispatcher, metrics,
          new ConnectionLimiter(config.limits().maxConnections(), config.limits().maxConnectionsPerAddress(),
              config.http().retryAfterS()), tls);
    } catch (RuntimeException | InterruptedException e) {
      workers.shutdownNow();
      if (tls != null) {
        tls.close();
      }
      throw e;
    }
  }

  /**
   * Binds the port and loads the model and the storage in the background; {@link #ready()} completes
   * when the API serves.
   *
   * @param sharedEmbedder an embedder to use and not close (tests share one), or null to load the
   *     configured model
   */
  public static SemcacheServer start(ServerConfig config, InstantSource clock, ParallelEmbedder sharedEmbedder) {
    SemcacheServer s;
    try {
      s = new SemcacheServer(config, clock, sharedEmbedder);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while binding", e);
    }
    LOG.info("listening on {}://{}:{} (not ready until the model and the index are loaded)",
        config.tls().enabled() ? "https" : "http", config.host(), s.port());
    Thread loader = new Thread(s::load, "semcache-loader");
    loader.setDaemon(true);
    loader.start();
    return s;
  }

  private void load() {
    try {
      long t0 = System.nanoTime();
      ParallelEmbedder embedder = sharedEmbedder;
      if (embedder == null) {
        ownEmbedder = ParallelEmbedder.open(ModelSpec.named(config.model()), OnnxOptions.defaults(),
            config.embedding().toOptions());
        embedder = ownEmbedder;
      }
      LOG.info("model {} loaded ({} dimensions, {} tokens at most) in {} ms", embedder.model().name(),
          embedder.model().dimension(), embedder.model().maxTokens(), (System.nanoTime() - t0) / 1_000_000);
      Path dir = Path.of(config.dataDir());
      StorageOptions options = config.storage().toOptions(embedder.model().dimension());
      if (!config.storage().clustered()) {
        checkModel(dir, embedder.model().name());
      }
      synchronized (this) {
        if (closed) {
          return;
        }
        // the one place that knows which backend runs: nothing above CacheStorage can tell
        storage = config.storage().clustered()
            ? OpenSearchCacheStorage.open(config.storage().opensearch().toOptions(), options, clock)
            : EmbeddedCacheStorage.open(dir, options, clock);
      }
      cache = new SemanticCache(storage, embedder, clock, workers, !keys.enabled(), config.namespaceDefaults(),
          config.audits().toSettings(config.limits()),
          new SemanticCache.MemoryLimits(config.limits().pendingBytes(), config.limits().namespaceShare()));
      cache.analytics().onRecorded(metrics::audit);
      api = new Api(cache, keys, metrics);
      ProxyHandler proxyHandler = null;
      if (config.proxy().enabled()) {
        upstream = new UpstreamClient(config.proxy());
        proxyHandler = new ProxyHandler(cache, upstream, config.proxy().audits(), new ProxyEvents() {
          @Override
          public void lookedUp(String namespace, dev.semcache.server.cache.LookupResult r, long nanos) {
            metrics.lookup(namespace, r, nanos);
          }

          @Override
          public void stored(String namespace, boolean embeddingReused) {
            metrics.store(namespace, embeddingReused);
          }

          @Override
          public void answered(String namespace, String cacheStatus) {
            metrics.proxyAnswer(namespace, cacheStatus);
          }
        });
        LOG.info("proxy mode: OpenAI-compatible calls under /v1 go to {} on a miss", config.proxy().upstream());
      }
      proxy = new ProxyRoute(keys, api.admission(), proxyHandler, config.proxy().defaultNamespace());
      state = Dispatcher.State.READY;
      LOG.info("ready in {} ms: {} entries in {} namespaces, data in {}", (System.nanoTime() - t0) / 1_000_000,
          storage.entryCount(), storage.namespaces().size(),
          config.storage().clustered() ? storage : dir.toAbsolutePath());
      ready.complete(null);
    } catch (Throwable t) {
      LOG.error("semcache could not start", t);
      ready.completeExceptionally(t);
    }
  }

  /**
   * A data folder belongs to the model that embedded its entries: vectors of two models are not
   * comparable even when their dimensions agree, so a server configured with another model would serve
   * wrong hits without any error. The model's name is recorded in {@code DATA_DIR/model} on first use
   * and checked on every start.
   */
  static void checkModel(Path dir, String model) throws java.io.IOException {
    Path marker = dir.resolve("model");
    java.nio.file.Files.createDirectories(dir);
    if (java.nio.file.Files.exists(marker)) {
      String recorded = java.nio.file.Files.readString(marker).strip();
      if (!recorded.equals(model)) {
        throw new ConfigException("the entries in " + dir.toAbsolutePath() + " were embedded with model '" + recorded
            + "', and this server is configured with '" + model + "'; their vectors are not comparable. Start with"
            + " --model " + recorded + ", or use another --data-dir");
      }
    } else {
      java.nio.file.Files.writeString(marker, model + "\n");
    }
  }

  /** Completes when the API serves; fails if loading failed. */
  public CompletableFuture<Void> ready() {
    return ready;
  }

  /** Waits until ready. */
  public SemcacheServer awaitReady(Duration timeout) {
    try {
      ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return this;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("semcache was not ready within " + timeout, e);
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException("semcache could not start: " + e.getCause().getMessage(), e.getCause());
    }
  }

  public int port() {
    return http.port();
  }

  /**
   * Loads the TLS certificate and key again (what SIGHUP does); false if TLS is off or the new pair
   * failed to load (the previous one then stays in use).
   */
  public boolean reloadTls() {
    return tls != null && tls.reload();
  }

  /** Requests being worked on. */
  int inFlight() {
    return dispatcher.inFlight();
  }

  /** The core, once ready (null before). */
  public SemanticCache cache() {
    return cache;
  }

  /** The storage the cache runs on, once loaded (null before): for tests and tools, not for handlers. */
  public CacheStorage storage() {
    return storage;
  }

  /** Drains and stops; see the class comment for the order. */
  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
    }
    long t0 = System.nanoTime();
    state = Dispatcher.State.DRAINING;
    http.stopAccepting();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(config.http().drainTimeoutS());
    while (dispatcher.inFlight() > 0 && System.nanoTime() < deadline) {
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (dispatcher.inFlight() > 0) {
      LOG.warn("{} requests still in progress after {} s; closing anyway", dispatcher.inFlight(),
          config.http().drainTimeoutS());
    }
    http.close();
    if (tls != null) {
      tls.close();
    }
    if (upstream != null) {
      upstream.close();
    }
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (cache != null) {
        cache.close(); // writes the lookup statistics
      }
      if (storage != null) {
        storage.close();
      }
    }
    if (ownEmbedder != null) {
      ownEmbedder.close();
    }
    LOG.info("stopped in {} ms", (System.nanoTime() - t0) / 1_000_000);
  }
}
