package dev.semcache.index;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The entries of the crash test, the same in the test and in the child it kills: entry {@code i} has a
 * prompt built from real sentence {@code i mod n}, a response derived from {@code i}, and that
 * sentence's real embedding plus a little noise seeded by {@code i} (so that every entry is its own
 * nearest neighbour).
 */
final class CrashWorkload {
  static final String NAMESPACE = "crash";
  /** Fast refresh and commits, so that kills land inside them too. */
  static final StorageOptions OPTIONS = StorageOptions.defaults()
      .withIntervals(Duration.ofMillis(20), Duration.ofMillis(150), Duration.ofSeconds(1));

  final List<String> sentences;
  final List<float[]> vectors;

  CrashWorkload(List<String> sentences, List<float[]> vectors) {
    this.sentences = sentences;
    this.vectors = vectors;
  }

  String prompt(int i) {
    return sentences.get(i % sentences.size()) + " #" + i;
  }

  static String response(int i) {
    return "response to #" + i + " " + "x".repeat(i % 97);
  }

  float[] vector(int i) {
    float[] base = vectors.get(i % vectors.size());
    SplittableRandom r = new SplittableRandom(i);
    float[] v = new float[base.length];
    double norm = 0;
    for (int d = 0; d < v.length; d++) {
      v[d] = base[d] + (float) (r.nextGaussian() * 0.01);
      norm += (double) v[d] * v[d];
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int d = 0; d < v.length; d++) {
      v[d] *= inv;
    }
    return v;
  }

  void write(Path file) throws IOException {
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file))) {
      out.writeInt(sentences.size());
      out.writeInt(vectors.get(0).length);
      for (int i = 0; i < sentences.size(); i++) {
        out.writeUTF(sentences.get(i));
        for (float f : vectors.get(i)) {
          out.writeFloat(f);
        }
      }
    }
  }

  static CrashWorkload read(Path file) throws IOException {
    try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
      int n = in.readInt();
      int dim = in.readInt();
      List<String> s = new ArrayList<>();
      List<float[]> v = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        s.add(in.readUTF());
        float[] x = new float[dim];
        for (int d = 0; d < dim; d++) {
          x[d] = in.readFloat();
        }
        v.add(x);
      }
      return new CrashWorkload(s, v);
    }
  }
}
