package dev.semcache.embedding;

/** Small arithmetic on dense float vectors. */
public final class Vectors {
  private Vectors() {}

  /** Dot product; for unit vectors, the cosine similarity. */
  public static float dot(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException("vector lengths differ: " + a.length + " vs " + b.length);
    }
    double sum = 0;
    for (int i = 0; i < a.length; i++) {
      sum += (double) a[i] * b[i];
    }
    return (float) sum;
  }

  /** Cosine similarity of two vectors of any length (not necessarily normalised). */
  public static float cosine(float[] a, float[] b) {
    return (float) (dot(a, b) / Math.sqrt((double) dot(a, a) * dot(b, b)));
  }

  /** Scales {@code v} in place to unit length and returns it. */
  static float[] normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (sum == 0) {
      return v;
    }
    float inv = (float) (1 / Math.sqrt(sum));
    for (int i = 0; i < v.length; i++) {
      v[i] *= inv;
    }
    return v;
  }
}
