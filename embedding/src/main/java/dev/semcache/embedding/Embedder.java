package dev.semcache.embedding;

import java.util.List;

/**
 * Turns text into a unit-length vector whose dot product with another such vector is their cosine
 * similarity.
 *
 * <p>Contract: the vector of a text does not depend on which other texts it was embedded with, nor on
 * whether it went through {@link #embed} or {@link #embedAll}: a cache must give a prompt the same vector
 * whatever traffic it shared a batch with. Implementations are thread-safe.
 */
public interface Embedder extends AutoCloseable {

  /** The model this embedder runs. */
  ModelSpec model();

  /** Length of every vector this embedder returns. */
  default int dimension() {
    return model().dimension();
  }

  /**
   * Embeds one text.
   *
   * @throws IllegalArgumentException if the text is null, blank, or has no token the model can read
   */
  float[] embed(String text);

  /** Embeds several texts; element {@code i} of the answer belongs to {@code texts.get(i)}. */
  List<float[]> embedAll(List<String> texts);

  /** Releases native resources. Calls after close fail with {@link IllegalStateException}. */
  @Override
  void close();
}
