package dev.semcache.embedding;

import java.util.Locale;

/** How a model's per-token hidden states become one sentence vector. Not stored in the model files. */
public enum Pooling {
  /** Average of the token states under the attention mask (sentence-transformers MiniLM). */
  MEAN,
  /** The state of the first ([CLS]) token (BGE). */
  CLS;

  static Pooling parse(String value) {
    try {
      return valueOf(value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("pooling must be 'mean' or 'cls'; pooling=" + value, e);
    }
  }

  /**
   * Pools one sequence of {@code length} tokens out of a [batch, seq, dim] hidden-state buffer.
   *
   * @param hidden the flattened last hidden state
   * @param offset index of the first element of this sequence's first token
   */
  float[] pool(float[] hidden, int offset, int length, int dim) {
    float[] out = new float[dim];
    switch (this) {
      case CLS -> System.arraycopy(hidden, offset, out, 0, dim);
      case MEAN -> {
        for (int t = 0; t < length; t++) {
          int base = offset + t * dim;
          for (int d = 0; d < dim; d++) {
            out[d] += hidden[base + d];
          }
        }
        float inv = 1f / length;
        for (int d = 0; d < dim; d++) {
          out[d] *= inv;
        }
      }
    }
    return out;
  }
}
