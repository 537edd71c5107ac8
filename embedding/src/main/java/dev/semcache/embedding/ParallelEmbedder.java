package dev.semcache.embedding;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The front that concurrent callers share: a bounded queue in front of a fixed set of workers, each
 * running one inference at a time.
 *
 * <h2>Design: parallel single-sequence inferences instead of shared batches</h2>
 * The usual way to raise embedding throughput under concurrency is micro-batching: merge waiting
 * requests into one padded tensor. With the int8 dynamically quantized models semcache ships, that
 * changes the vectors (see {@link OnnxEmbedder}), and a cache must give a prompt the same vector
 * whatever else was in flight. This front gets the throughput another way: it keeps {@code workers}
 * single-sequence inferences running at once, each on one ONNX Runtime thread (a "narrow" session).
 * Measured here on 2 cores, that reaches over 90% of the model's raw batch-32 throughput (bench/README.md),
 * because small transformer inferences parallelise poorly inside one call and well across calls.
 *
 * <p>Single-request latency is not sacrificed for this: when a worker finds nothing else queued and no
 * other worker busy, it runs the request on a "wide" session that uses every core for one inference.
 * Both sessions load the same model; {@code BatchInvarianceTest} checks that they give bit-identical
 * vectors, so the choice never shows in the result.
 *
 * <h2>Fair between tenants</h2>
 * The queue is a {@link FairQueue}: each tenant (the server passes the namespace) has its own FIFO and
 * the workers serve the tenants with something waiting in turn, so a namespace that floods the model
 * with misses gets its share of the workers, not all of them, and another namespace's lookup waits for
 * at most one turn of each busy tenant. A request whose expected wait (the requests served before it,
 * in turn, times the recent time per text, over the workers: {@link QueueWaitEstimate}) exceeds {@link
 * ParallelOptions#maxWait()} is refused at once: an answer that late is worth less than a quick 503.
 *
 * <p>Bad text is rejected in the caller's thread ({@link IllegalArgumentException}); a full queue is
 * rejected at once ({@link EmbedderOverloadedException}) so that the server can answer 503 instead of
 * queueing without bound.
 */
public final class ParallelEmbedder implements Embedder {
  private static final Logger LOG = LoggerFactory.getLogger(ParallelEmbedder.class);

  private final OnnxEmbedder wide;
  private final OnnxEmbedder narrow;
  private final ParallelOptions options;
  /** The tenant of requests that name none. */
  public static final String NO_TENANT = "";
  private final FairQueue<Request> queue;
  /** The expected wait of a new request, from recent inference and queue drain times. */
  private final QueueWaitEstimate waits;
  private final List<Thread> workers = new ArrayList<>();
  private final AtomicInteger busy = new AtomicInteger();
  private final AtomicLong wideRuns = new AtomicLong();
  private final AtomicLong narrowRuns = new AtomicLong();
  private final AtomicLong rejected = new AtomicLong();
  private volatile boolean closed;

  /**
   * @param queuedAtNanos when it was queued, and {@code ahead} the texts counted ahead of it then (itself
   *     included; 0 if a worker was idle): what it really waited teaches {@link #waits}
   */
  private record Request(String tenant, TokenizedText tokens, CompletableFuture<float[]> result, long queuedAtNanos,
      long ahead) {
    Request(String tenant, TokenizedText tokens) {
      this(tenant, tokens, new CompletableFuture<>(), System.nanoTime(), 0);
    }
  }

  /**
   * @param wide an embedder whose session uses all cores, for requests that find the front idle
   * @param narrow an embedder of the same model whose session uses one thread, shared by the workers
   */
  public ParallelEmbedder(OnnxEmbedder wide, OnnxEmbedder narrow, ParallelOptions options) {
    if (!wide.model().equals(narrow.model())) {
      throw new IllegalArgumentException("wide and narrow embedders must run the same model; "
          + wide.model().name() + " vs " + narrow.model().name());
    }
    this.wide = wide;
    this.narrow = narrow;
    this.options = options;
    this.waits = new QueueWaitEstimate(options.workers(), 5_000_000);
    java.util.function.Consumer<Request> pushedOut = r -> {
      rejected.incrementAndGet();
      r.result().completeExceptionally(new EmbedderOverloadedException("embedding queue is full and tenant '"
          + r.tenant() + "' held more of it than the others waiting; retry later"));
    };
    this.queue = options.shareLinger().isZero()
        ? new FairQueue<>(options.queueCapacity(), pushedOut)
        : new FairQueue<>(options.queueCapacity(), pushedOut, options.workers(), options.shareLinger().toNanos(),
            System::nanoTime);
    for (int i = 0; i < options.workers(); i++) {
      Thread t = Thread.ofPlatform().name("semcache-embed-" + i).daemon(true).unstarted(this::work);
      workers.add(t);
      t.start();
    }
  }

  /** Opens both sessions of {@code spec} and starts the workers. */
  public static ParallelEmbedder open(ModelSpec spec, OnnxOptions onnx, ParallelOptions options) {
    OnnxEmbedder wide = OnnxEmbedder.open(spec, onnx);
    try {
      OnnxEmbedder narrow = OnnxEmbedder.open(spec, onnx.withIntraOpThreads(1));
      return new ParallelEmbedder(wide, narrow, options);
    } catch (RuntimeException e) {
      wide.close();
      throw e;
    }
  }

  @Override
  public ModelSpec model() {
    return wide.model();
  }

  /** Tokenizes without embedding (validation included). */
  public TokenizedText tokenize(String text) {
    return wide.tokenize(text);
  }

  /**
   * Queues one text.
   *
   * @throws IllegalArgumentException if the text is not embeddable
   * @throws EmbedderOverloadedException if the queue is full
   * @throws IllegalStateException if this embedder is closed
   */
  public CompletableFuture<float[]> embedAsync(String text) {
    return submit(tokenize(text));
  }

  /** Queues already tokenized text; see {@link #embedAsync}. */
  public CompletableFuture<float[]> submit(TokenizedText tokens) {
    return submit(NO_TENANT, tokens);
  }

  /**
   * Queues already tokenized text for a tenant, served in turn with the other tenants' (see the class
   * comment); see {@link #embedAsync}.
   *
   * @throws EmbedderOverloadedException if the queue is full, or the expected wait is over the maximum
   */
  public CompletableFuture<float[]> submit(String tenant, TokenizedText tokens) {
    ensureOpen();
    long ahead = textsAhead(tenant);
    long waitNanos = waits.waitNanos(ahead);
    if (waitNanos > options.maxWait().toNanos()) {
      rejected.incrementAndGet();
      throw new EmbedderOverloadedException("the embedding queue's expected wait, " + waitNanos / 1_000_000
          + " ms, is over the " + options.maxWait().toMillis() + " ms allowed (embedding.max_wait_ms); retry later");
    }
    Request r = new Request(tenant, tokens, new CompletableFuture<>(), System.nanoTime(), ahead);
    if (!queue.offer(tenant, r)) {
      rejected.incrementAndGet();
      throw new EmbedderOverloadedException("embedding queue is full (" + options.queueCapacity()
          + " waiting, " + options.workers() + " workers busy); retry later");
    }
    if (closed && queue.remove(tenant, r)) {
      throw new IllegalStateException("embedder is closed");
    }
    return r.result();
  }

  /**
   * How long a new request of {@code tenant} would wait: served in turn, it waits for the tenant's own
   * queue and one request of every other waiting tenant per turn, never more than the whole queue.
   */
  long expectedWaitNanos(String tenant) {
    return waits.waitNanos(textsAhead(tenant));
  }

  /** The texts served before a new request of {@code tenant}, itself included; 0 if a worker is idle. */
  private long textsAhead(String tenant) {
    int total = queue.size();
    if (total == 0 && busy.get() < options.workers()) {
      return 0;
    }
    int own = queue.size(tenant);
    int tenants = queue.tenants() + (own == 0 ? 1 : 0);
    return Math.min(total, (long) (own + 1) * tenants) + 1;
  }

  @Override
  public float[] embed(String text) {
    return join(embedAsync(text));
  }

  /** Embeds many texts, waiting for room in the queue rather than failing when it is full. */
  @Override
  public List<float[]> embedAll(List<String> texts) {
    List<CompletableFuture<float[]>> futures = new ArrayList<>(texts.size());
    for (String text : texts) {
      TokenizedText tokens = tokenize(text);
      Request r = new Request(NO_TENANT, tokens);
      try {
        while (!queue.offer(NO_TENANT, r)) {
          ensureOpen();
          Thread.sleep(10);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while queueing texts", e);
      }
      futures.add(r.result());
    }
    List<float[]> out = new ArrayList<>(texts.size());
    for (CompletableFuture<float[]> f : futures) {
      out.add(join(f));
    }
    return out;
  }

  private static float[] join(CompletableFuture<float[]> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw e;
    }
  }

  private void work() {
    while (!closed || !queue.isEmpty()) {
      Request r;
      try {
        r = queue.poll(100, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        break;
      }
      if (r == null) {
        continue;
      }
      int running = busy.incrementAndGet();
      waits.waited(r.ahead(), System.nanoTime() - r.queuedAtNanos());
      try {
        boolean alone = running == 1 && queue.isEmpty();
        OnnxEmbedder session = alone ? wide : narrow;
        (alone ? wideRuns : narrowRuns).incrementAndGet();
        long t0 = System.nanoTime();
        float[] v = session.embedTokenized(List.of(r.tokens())).get(0);
        if (!alone) {
          waits.inferred(System.nanoTime() - t0);
        }
        r.result().complete(v);
      } catch (RuntimeException e) {
        r.result().completeExceptionally(e);
      } finally {
        busy.decrementAndGet();
        queue.finished(r.tenant());
      }
    }
  }

  /** Requests waiting for a worker now. */
  public int queueDepth() {
    return queue.size();
  }

  /** Workers running an inference now. */
  public int busyWorkers() {
    return busy.get();
  }

  /** Requests rejected because the queue was full, since start. */
  public long rejectedCount() {
    return rejected.get();
  }

  /** Inferences run on the wide (all cores) and narrow (one thread) sessions, since start. */
  public long wideRunCount() {
    return wideRuns.get();
  }

  public long narrowRunCount() {
    return narrowRuns.get();
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("embedder for model " + model().name() + " is closed");
    }
  }

  /** Finishes the queued requests, stops the workers, and closes both sessions. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Thread t : workers) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    for (Request r; (r = queue.poll()) != null; ) {
      r.result().completeExceptionally(new IllegalStateException("embedder closed before this text ran"));
    }
    LOG.info("closed {}: {} wide and {} narrow inferences, {} rejected",
        this, wideRuns.get(), narrowRuns.get(), rejected.get());
    wide.close();
    narrow.close();
  }

  @Override
  public String toString() {
    return "ParallelEmbedder{model=" + model().name() + ", " + options + "}";
  }
}
