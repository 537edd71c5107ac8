package dev.semcache.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Properties;

/**
 * What semcache knows about one ONNX embedding model: where its files come from, their checksums, and
 * what the files do not say (pooling, the token limit, a query prefix).
 *
 * <p>Descriptors live in the {@code models} module as {@code dev/semcache/models/NAME.properties}
 * (format 1: the keys of this record); {@code models/README.md} documents each one.
 */
public record ModelSpec(
    String name,
    String artifact,
    String licence,
    String onnxResource,
    String onnxSha256,
    String tokenizerResource,
    String tokenizerSha256,
    int dimension,
    Pooling pooling,
    int maxTokens,
    String queryPrefix) {

  /** The model semcache runs unless configured otherwise. */
  public static final String DEFAULT = "all-minilm-l6-v2-q";

  /** Every model with a descriptor, default first. */
  public static final List<String> KNOWN = List.of(DEFAULT, "bge-small-en-v15-q");

  private static final int FORMAT = 1;

  public ModelSpec {
    if (dimension <= 0) {
      throw new IllegalArgumentException("dimension must be positive; dimension=" + dimension);
    }
    if (maxTokens < 3) {
      throw new IllegalArgumentException("max tokens must be at least 3; max.tokens=" + maxTokens);
    }
  }

  /**
   * Loads the descriptor of a known model.
   *
   * @throws IllegalArgumentException if no model has that name
   */
  public static ModelSpec named(String name) {
    if (!KNOWN.contains(name)) {
      throw new IllegalArgumentException("unknown model '" + name + "'; known models: " + KNOWN);
    }
    String resource = "dev/semcache/models/" + name + ".properties";
    Properties p = new Properties();
    try (InputStream in = ModelSpec.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new ModelFileException("model descriptor " + resource + " is not on the classpath;"
            + " the semcache-models jar is missing from this build");
      }
      p.load(in);
    } catch (IOException e) {
      throw new ModelFileException("cannot read model descriptor " + resource + ": " + e.getMessage(), e);
    }
    int format = Integer.parseInt(required(p, resource, "format"));
    if (format != FORMAT) {
      throw new ModelFileException(resource + " has descriptor format " + format
          + "; this build reads format " + FORMAT);
    }
    return new ModelSpec(
        required(p, resource, "name"),
        required(p, resource, "artifact"),
        required(p, resource, "licence"),
        required(p, resource, "onnx.resource"),
        required(p, resource, "onnx.sha256"),
        required(p, resource, "tokenizer.resource"),
        required(p, resource, "tokenizer.sha256"),
        Integer.parseInt(required(p, resource, "dimension")),
        Pooling.parse(required(p, resource, "pooling")),
        Integer.parseInt(required(p, resource, "max.tokens")),
        p.getProperty("query.prefix", ""));
  }

  private static String required(Properties p, String resource, String key) {
    String v = p.getProperty(key);
    if (v == null || v.isBlank()) {
      throw new ModelFileException(resource + " lacks the key '" + key + "'");
    }
    return v.trim();
  }
}
