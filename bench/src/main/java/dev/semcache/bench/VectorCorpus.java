package dev.semcache.bench;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * Real embeddings of every distinct sentence in ../shared/data, made once by {@code ./semcache bench corpus}
 * (minutes: it shows progress) and cached in {@code bench/target/corpus-MODEL.bin}.
 *
 * <p>File format 1: i32 magic 0x53434331 ("SCC1"), i32 count, i32 dimension, then count x dimension
 * big-endian float32.
 *
 * <p>The datasets hold about 50,000 distinct sentences. Larger corpora ({@link #vectors} beyond that) are
 * filled with <em>mixtures</em>: {@code normalize(w a + (1 - w) b)} of two real vectors with {@code w} in
 * [0.6, 0.9], so each synthetic vector sits near a real one (like a rewording) without duplicating it.
 * They are labelled as such in every report; recall on them is a proxy, not a measurement on real text.
 */
public final class VectorCorpus {
  private static final int MAGIC = 0x53434331;

  final List<float[]> real;
  public final int dimension;
  private final int count;

  private VectorCorpus(List<float[]> real) {
    this.real = real;
    this.dimension = real.get(0).length;
    this.count = real.size();
  }

  /**
   * The sentence of each vector of {@link #real}, in the same order: {@link #build} embeds {@link
   * SharedDatasets#allSentences} in order and {@link #load} shuffles with the same seed, so the same
   * permutation applies to both lists.
   *
   * @throws IllegalStateException if the datasets no longer hold the sentences the corpus was made from
   */
  List<String> sentences() {
    List<String> s = new ArrayList<>(SharedDatasets.allSentences());
    if (s.size() != count) {
      throw new IllegalStateException("the corpus holds " + count + " vectors but the datasets " + s.size()
          + " sentences; remake it with './semcache bench corpus'");
    }
    Collections.shuffle(s, new Random(42));
    return s;
  }

  static Path file(String model) {
    return Path.of(System.getProperty("semcache.bench.dir", "bench/target"), "corpus-" + model + ".bin");
  }

  public static VectorCorpus load(String model) throws IOException {
    Path f = file(model);
    if (!Files.isRegularFile(f)) {
      throw new IllegalStateException(f.toAbsolutePath() + " is missing; make it first with './semcache bench corpus'");
    }
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(f), 1 << 20))) {
      if (in.readInt() != MAGIC) {
        throw new IllegalStateException(f + " is not a corpus file of format 1");
      }
      int n = in.readInt();
      int dim = in.readInt();
      List<float[]> out = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        float[] v = new float[dim];
        for (int d = 0; d < dim; d++) {
          v[d] = in.readFloat();
        }
        out.add(v);
      }
      Collections.shuffle(out, new Random(42));
      return new VectorCorpus(out);
    }
  }

  /** The first {@code n} real vectors are held back as queries; these are never indexed. */
  public List<float[]> queries(int n) {
    return real.subList(0, n);
  }

  /** {@code n} vectors to index: real ones (past the queries) first, then mixtures. */
  public List<float[]> vectors(int n, int heldBack) {
    List<float[]> pool = real.subList(heldBack, real.size());
    List<float[]> out = new ArrayList<>(n);
    out.addAll(pool.subList(0, Math.min(n, pool.size())));
    SplittableRandom r = new SplittableRandom(7);
    while (out.size() < n) {
      float[] a = pool.get(r.nextInt(pool.size()));
      float[] b = pool.get(r.nextInt(pool.size()));
      float w = 0.6f + 0.3f * (float) r.nextDouble();
      float[] v = new float[dimension];
      double norm = 0;
      for (int d = 0; d < dimension; d++) {
        v[d] = w * a[d] + (1 - w) * b[d];
        norm += (double) v[d] * v[d];
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int d = 0; d < dimension; d++) {
        v[d] *= inv;
      }
      out.add(v);
    }
    return out;
  }

  /** Embeds every distinct sentence of the shared datasets and writes the corpus file. */
  static void build(String model) throws Exception {
    List<String> sentences = SharedDatasets.allSentences();
    Path f = file(model);
    Files.createDirectories(f.getParent());
    System.err.printf("embedding %d distinct sentences from %s with %s into %s%n",
        sentences.size(), SharedDatasets.dataDir(), model, f);
    long start = System.nanoTime();
    try (ParallelEmbedder e = ParallelEmbedder.open(ModelSpec.named(model), OnnxOptions.defaults(), ParallelOptions.defaults());
         DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(f), 1 << 20))) {
      out.writeInt(MAGIC);
      out.writeInt(sentences.size());
      out.writeInt(e.dimension());
      int chunk = 512;
      long lastReport = 0;
      for (int from = 0; from < sentences.size(); from += chunk) {
        List<CompletableFuture<float[]>> futures = new ArrayList<>();
        for (String s : sentences.subList(from, Math.min(sentences.size(), from + chunk))) {
          futures.add(CompletableFuture.completedFuture(null).thenCompose(x -> e.submit(e.tokenize(s))));
        }
        for (CompletableFuture<float[]> fut : futures) {
          for (float x : fut.join()) {
            out.writeFloat(x);
          }
        }
        long now = System.nanoTime();
        if (now - lastReport > 5_000_000_000L) {
          int done = Math.min(sentences.size(), from + chunk);
          double rate = done / ((now - start) / 1e9);
          System.err.printf("  %d / %d sentences, %.0f/s, about %.0f s left%n", done, sentences.size(), rate,
              (sentences.size() - done) / rate);
          lastReport = now;
        }
      }
    }
    System.err.printf("done in %.0f s%n", (System.nanoTime() - start) / 1e9);
  }
}
