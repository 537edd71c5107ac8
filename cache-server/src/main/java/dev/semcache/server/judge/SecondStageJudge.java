package dev.semcache.server.judge;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.embedding.Vectors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional local second-stage judge: P(the lookup's prompt and the matched prompt mean the same),
 * from a logistic regression ({@link JudgeCoefficients}) over {@link PairFeatures}: the cosine
 * similarity of the pair under both bundled models and cheap lexical features.
 *
 * <h2>Why not a cross-encoder</h2>
 * Maven Central (the only source of model weights this project takes) has no ONNX cross-encoder or
 * duplicate-question classifier: langchain4j ships an ONNX scoring runtime, not the weights. So the
 * judge reuses the two bi-encoders semcache already bundles, and a small classifier, fitted on the
 * training parts of the shared labelled data ({@code ./semcache bench train-judge}), weighs their
 * similarities with lexical signals they blur (swapped words, numbers, names, negation).
 *
 * <h2>Cost</h2>
 * The server's model gives one cosine (the lookup's similarity); the other bundled model is loaded on
 * the first judged lookup (once per server, on the judge's thread) and embeds both prompts: two
 * embeddings of the second model per judged lookup, on the judge's own worker, never on the lookup's
 * path. At most {@link #MAX_IN_FLIGHT} judgements wait at once; more are skipped (counted), so a burst
 * cannot queue unbounded work.
 */
public final class SecondStageJudge implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SecondStageJudge.class);
  /** Judgements waiting or running at most; more are skipped. */
  public static final int MAX_IN_FLIGHT = 256;
  /** A pair is more likely the same meaning than not at or above this probability. */
  public static final double SAME_AT = 0.5;
  /** The judge says {@code correct} only at or above this probability. */
  public static final double CORRECT_AT = 0.9;
  /** The judge says {@code false_hit} only at or below this probability; in between it abstains. */
  public static final double FALSE_AT = 0.1;

  /**
   * The verdict of a probability: {@code true} (correct) at or above {@link #CORRECT_AT}, {@code false}
   * (false hit) at or below {@link #FALSE_AT}, null (no verdict: the gateway's audit, if any, decides)
   * in between. A verdict that teaches a verified entry should be rarely wrong; a calibrated 0.6 is wrong
   * four times in ten.
   */
  public static Boolean verdict(double probability) {
    return probability >= CORRECT_AT ? Boolean.TRUE : probability <= FALSE_AT ? Boolean.FALSE : null;
  }

  private final JudgeCoefficients coefficients;
  private final String serverModel;
  private final String otherModel;
  private final Supplier<ParallelEmbedder> opener;
  private final boolean ownsOther;
  private final ExecutorService worker;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final LongAdder judged = new LongAdder();
  private final LongAdder skipped = new LongAdder();
  private volatile ParallelEmbedder other;

  /**
   * @param serverModel the model the server's lookups are embedded with: one of the coefficients' two
   * @param other the other model's embedder to use (and not close), or null to load it on first use
   */
  public SecondStageJudge(JudgeCoefficients coefficients, String serverModel, ParallelEmbedder other) {
    if (!serverModel.equals(coefficients.firstModel()) && !serverModel.equals(coefficients.secondModel())) {
      throw new IllegalArgumentException("the second-stage judge was fitted for " + coefficients.firstModel() + " and "
          + coefficients.secondModel() + "; the server runs " + serverModel);
    }
    this.coefficients = coefficients;
    this.serverModel = serverModel;
    this.otherModel = serverModel.equals(coefficients.firstModel()) ? coefficients.secondModel() : coefficients.firstModel();
    if (other != null && !other.model().name().equals(otherModel)) {
      throw new IllegalArgumentException("the second-stage judge needs " + otherModel + " beside " + serverModel
          + "; given " + other.model().name());
    }
    this.other = other;
    this.ownsOther = other == null;
    this.opener = () -> {
      long t0 = System.nanoTime();
      ParallelEmbedder e = ParallelEmbedder.open(ModelSpec.named(otherModel), OnnxOptions.defaults(),
          new ParallelOptions(1, MAX_IN_FLIGHT * 2));
      LOG.info("second-stage judge: model {} loaded in {} ms", otherModel, (System.nanoTime() - t0) / 1_000_000);
      return e;
    };
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "semcache-second-stage-judge");
      t.setDaemon(true);
      return t;
    });
  }

  /** The judge of the bundled coefficients for a server running {@code serverModel}. */
  public static SecondStageJudge bundled(String serverModel) {
    return new SecondStageJudge(JudgeCoefficients.bundled(), serverModel, null);
  }

  /** P(same meaning) of a pair whose cosine under each model is known (what the trainer measures). */
  public double probability(double cosineFirst, double cosineSecond, String query, String matched) {
    return coefficients.probability(PairFeatures.of(cosineFirst, cosineSecond, query, matched));
  }

  /**
   * Judges a pair off the caller's thread.
   *
   * @param serverCosine the pair's similarity under the server's model (the lookup's similarity)
   * @return P(same meaning), or an empty future result (null) if the judge is full and skipped it
   */
  public CompletableFuture<Double> judge(String query, String matched, double serverCosine) {
    if (!inFlight.tryAcquire()) {
      skipped.increment();
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Double> out;
    try {
      out = CompletableFuture.supplyAsync(this::otherModel, worker)
          .thenCompose(e -> e.embedAsync(query).thenCombine(e.embedAsync(matched), Vectors::dot))
          .thenApply(otherCosine -> {
            boolean serverFirst = serverModel.equals(coefficients.firstModel());
            double p = serverFirst ? probability(serverCosine, otherCosine, query, matched)
                : probability(otherCosine, serverCosine, query, matched);
            judged.increment();
            return p;
          });
    } catch (RuntimeException e) { // the worker refused (closed)
      inFlight.release();
      throw e;
    }
    return out.whenComplete((p, e) -> inFlight.release());
  }

  private ParallelEmbedder otherModel() {
    ParallelEmbedder e = other;
    if (e == null) {
      synchronized (this) {
        if (other == null) {
          other = opener.get();
        }
        e = other;
      }
    }
    return e;
  }

  /** Pairs judged since the server started. */
  public long judged() {
    return judged.sum();
  }

  /** Pairs skipped because {@link #MAX_IN_FLIGHT} were waiting. */
  public long skipped() {
    return skipped.sum();
  }

  public JudgeCoefficients coefficients() {
    return coefficients;
  }

  @Override
  public void close() {
    worker.shutdownNow();
    ParallelEmbedder e = other;
    if (ownsOther && e != null) {
      e.close();
    }
  }

  @Override
  public String toString() {
    return "SecondStageJudge[server model " + serverModel + ", second model " + otherModel + "]";
  }
}
