package dev.semcache.index;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxEmbedder;
import dev.semcache.embedding.OnnxOptions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Real embeddings for index tests (the default model, loaded once per test JVM). */
public final class TestVectors {
  private static OnnxEmbedder embedder;
  private static final Map<String, float[]> CACHE = new ConcurrentHashMap<>();

  private TestVectors() {}

  static synchronized OnnxEmbedder embedder() {
    if (embedder == null) {
      embedder = OnnxEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults());
      Runtime.getRuntime().addShutdownHook(new Thread(embedder::close));
    }
    return embedder;
  }

  public static float[] of(String text) {
    return CACHE.computeIfAbsent(text, t -> embedder().embed(t)).clone();
  }

  /** A random unit vector of {@code dimension} (Gaussian components, normalised): for tests that need many, fast. */
  public static float[] random(java.util.SplittableRandom random, int dimension) {
    float[] v = new float[dimension];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return org.apache.lucene.util.VectorUtil.l2normalize(v);
  }

  /** Prompts of a support desk: several wordings of a few needs, plus unrelated questions. */
  public static final List<String> PROMPTS = List.of(
      "How do I reset my password?",
      "How can I reset my password?",
      "I forgot my password, what should I do?",
      "What are your opening hours?",
      "When are you open?",
      "Do you ship to Canada?",
      "Can you deliver to Canada?",
      "How long does shipping take?",
      "Can I get a refund for a damaged item?",
      "My card was declined, why?",
      "What is the capital of Mongolia?",
      "Write a haiku about autumn.",
      "Explain the difference between TCP and UDP.",
      "Translate good morning into French.",
      "Give me a recipe for vegan lasagna.",
      "How do I change my email address?",
      "Where can I download my invoice?",
      "Is there a student discount?",
      "How do I cancel my subscription?",
      "Who won the world cup in 2014?");
}
