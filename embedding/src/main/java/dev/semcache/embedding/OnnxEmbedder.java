package dev.semcache.embedding;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@link Embedder} on ONNX Runtime and DJL's HuggingFace tokenizer: tokenize (truncating at the
 * model's limit), run the transformer, pool ({@link Pooling}), L2-normalise.
 *
 * <h2>Why every text runs in an inference of its own</h2>
 * The bundled models are int8 dynamically quantized: each quantized MatMul derives its activation scale
 * from the min and max of its whole input tensor, i.e. of every sequence in the batch. A text batched
 * with other texts therefore gets a different vector than alone: measured here on MiniLM-q, cosine
 * 0.993 with padding and still 0.996 in a batch of equal-length texts without any padding. A cache must
 * give a prompt the same vector whatever traffic it shared a batch with, so {@link #embedTokenized}
 * runs each distinct sequence alone; throughput under concurrency comes from running several such
 * inferences in parallel ({@link MicroBatchingEmbedder}), not from sharing tensors.
 * {@code BatchInvarianceTest} proves both halves of this.
 */
public final class OnnxEmbedder implements Embedder {
  private static final Logger LOG = LoggerFactory.getLogger(OnnxEmbedder.class);

  private final ModelSpec spec;
  private final OnnxOptions options;
  private final TextTokenizer tokenizer;
  private final OrtSession session;
  private final boolean wantsTypeIds;
  private final String outputName;
  private final AtomicLong inferences = new AtomicLong();
  private final AtomicLong sequences = new AtomicLong();
  /** Runs hold the read lock; close takes the write lock so no inference sees a freed session. */
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private volatile boolean closed;

  private OnnxEmbedder(ModelSpec spec, OnnxOptions options, TextTokenizer tokenizer, OrtSession session) {
    this.spec = spec;
    this.options = options;
    this.tokenizer = tokenizer;
    this.session = session;
    this.wantsTypeIds = session.getInputNames().contains("token_type_ids");
    this.outputName = session.getOutputNames().contains("last_hidden_state")
        ? "last_hidden_state" : session.getOutputNames().iterator().next();
  }

  /** Opens the bundled model {@code spec}, checking its files' checksums first. */
  public static OnnxEmbedder open(ModelSpec spec, OnnxOptions options) {
    long start = System.nanoTime();
    byte[] onnx = ModelFiles.onnx(spec);
    byte[] tokenizerJson = ModelFiles.tokenizer(spec);
    TextTokenizer tokenizer = new TextTokenizer(spec, tokenizerJson);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setOptimizationLevel(options.optLevel());
      so.setIntraOpNumThreads(options.intraOpThreads());
      so.setInterOpNumThreads(1);
      so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      if (options.intraOpThreads() != 1) {
        // A multi-threaded session's pool spins after each inference by default, taking the cores from
        // the search and the answer that follow it. Off, lone semantic lookups over HTTP went from 71 to
        // 77-81 per second (p99 31.6 -> 21-23 ms); 16 at once were unchanged (bench/README.md, stages).
        so.addConfigEntry("session.intra_op.allow_spinning", "0");
      }
      OrtSession session = env.createSession(onnx, so);
      for (String required : List.of("input_ids", "attention_mask")) {
        if (!session.getInputNames().contains(required)) {
          session.close();
          throw new ModelFileException("model " + spec.name() + " has no input '" + required
              + "'; inputs are " + session.getInputNames());
        }
      }
      OnnxEmbedder embedder = new OnnxEmbedder(spec, options, tokenizer, session);
      LOG.info("loaded model {} ({} dims, {} pooling, max {} tokens) with {} in {} ms",
          spec.name(), spec.dimension(), spec.pooling(), spec.maxTokens(), options,
          (System.nanoTime() - start) / 1_000_000);
      return embedder;
    } catch (OrtException e) {
      tokenizer.close();
      throw new ModelFileException("ONNX Runtime cannot load model " + spec.name() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The verified ONNX file of {@code spec}, as this class loads it: for measuring the same file with
   * another ONNX Runtime binding (bench/README.md, {@code bench ort}).
   */
  public static byte[] modelFile(ModelSpec spec) {
    return ModelFiles.onnx(spec);
  }

  @Override
  public ModelSpec model() {
    return spec;
  }

  /** Tokenizes without embedding; see {@link TextTokenizer#tokenize}. */
  public TokenizedText tokenize(String text) {
    ensureOpen();
    return tokenizer.tokenize(text);
  }

  /** The prefix of {@code text} that the model reads when the text is longer than its token limit. */
  public String readPrefix(String text) {
    return tokenizer.readPrefix(text);
  }

  @Override
  public float[] embed(String text) {
    return embedTokenized(List.of(tokenize(text))).get(0);
  }

  @Override
  public List<float[]> embedAll(List<String> texts) {
    List<TokenizedText> tokenized = new ArrayList<>(texts.size());
    for (String t : texts) {
      tokenized.add(tokenize(t));
    }
    return embedTokenized(tokenized);
  }

  /**
   * Embeds already tokenized texts, each in an inference of its own (identical token sequences are
   * computed once). Element {@code i} of the answer belongs to {@code texts.get(i)}.
   */
  public List<float[]> embedTokenized(List<TokenizedText> texts) {
    float[][] out = new float[texts.size()][];
    Map<TokenKey, float[]> done = new HashMap<>();
    for (int i = 0; i < texts.size(); i++) {
      TokenizedText t = texts.get(i);
      out[i] = done.computeIfAbsent(new TokenKey(t.ids()), k -> runBatch(List.of(t)).get(0));
    }
    return List.of(out);
  }

  /**
   * One inference over sequences that all have the same token length (so nothing is padded).
   *
   * <p>Not batch-invariant: with the dynamically quantized models the vector of each sequence depends
   * on the others in the call (see the class comment). The serving path never calls it with more than
   * one sequence; benchmarks use it to measure the model's raw batched throughput.
   *
   * @throws IllegalArgumentException if the sequences differ in length
   */
  public List<float[]> runBatch(List<TokenizedText> texts) {
    if (texts.isEmpty()) {
      return List.of();
    }
    int length = texts.get(0).length();
    for (TokenizedText t : texts) {
      if (t.length() != length) {
        throw new IllegalArgumentException("a batch needs sequences of one length; lengths "
            + length + " and " + t.length());
      }
    }
    List<float[]> out = new ArrayList<>(texts.size());
    for (int from = 0; from < texts.size(); from += options.maxBatch()) {
      out.addAll(List.of(run(texts.subList(from, Math.min(texts.size(), from + options.maxBatch())), length)));
    }
    return out;
  }

  /** One inference over sequences that all have {@code length} tokens. */
  private float[][] run(List<TokenizedText> texts, int length) {
    int n = texts.size();
    long[] ids = new long[n * length];
    long[] types = new long[n * length];
    long[] mask = new long[n * length];
    java.util.Arrays.fill(mask, 1L);
    for (int j = 0; j < n; j++) {
      TokenizedText t = texts.get(j);
      System.arraycopy(t.ids(), 0, ids, j * length, length);
      System.arraycopy(t.typeIds(), 0, types, j * length, length);
    }
    long[] shape = {n, length};
    lifecycle.readLock().lock();
    try {
      ensureOpen();
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      Map<String, OnnxTensor> inputs = new HashMap<>();
      try {
        inputs.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        inputs.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
        if (wantsTypeIds) {
          inputs.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
        }
        try (OrtSession.Result result = session.run(inputs, java.util.Set.of(outputName))) {
          OnnxTensor hidden = (OnnxTensor) result.get(0);
          FloatBuffer buf = hidden.getFloatBuffer();
          float[] flat = new float[buf.remaining()];
          buf.get(flat);
          int dim = spec.dimension();
          if (flat.length != n * length * dim) {
            throw new EmbeddingException("model " + spec.name() + " returned " + flat.length
                + " values for " + n + "x" + length + " tokens of dimension " + dim);
          }
          float[][] vectors = new float[n][];
          for (int j = 0; j < n; j++) {
            vectors[j] = Vectors.normalize(spec.pooling().pool(flat, j * length * dim, length, dim));
          }
          inferences.incrementAndGet();
          sequences.addAndGet(n);
          return vectors;
        }
      } catch (OrtException e) {
        throw new EmbeddingException("inference failed for model " + spec.name() + ": " + e.getMessage(), e);
      } finally {
        for (OnnxTensor t : inputs.values()) {
          t.close();
        }
      }
    } finally {
      lifecycle.readLock().unlock();
    }
  }

  /** How many inference calls ran since open (each a batch of one or more sequences). */
  public long inferenceCount() {
    return inferences.get();
  }

  /** How many sequences were embedded since open. */
  public long sequenceCount() {
    return sequences.get();
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("embedder for model " + spec.name() + " is closed");
    }
  }

  @Override
  public void close() {
    lifecycle.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      try {
        session.close();
      } catch (OrtException e) {
        LOG.warn("closing the ONNX session of {} failed: {}", spec.name(), e.getMessage());
      }
      tokenizer.close();
    } finally {
      lifecycle.writeLock().unlock();
    }
  }

  @Override
  public String toString() {
    return "OnnxEmbedder{model=" + spec.name() + ", options=" + options + "}";
  }
}
