package dev.semcache.server.judge;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The second-stage judge's fitted model: a logistic regression over {@link PairFeatures}, stored as a
 * versioned JSON file (a resource of cache-server, written by {@code ./semcache bench train-judge}).
 *
 * <h2>File format 1</h2>
 * <pre>{@code
 * {"format": 1,
 *  "features": ["cosine_first_model", ...],        // must equal PairFeatures.NAMES, in that order
 *  "first_model": "all-minilm-l6-v2-q", "second_model": "bge-small-en-v15-q",
 *  "first_model_onnx_sha256": "...", "second_model_onnx_sha256": "...",  // the model files it was fitted with
 *  "intercept": -12.3, "coefficients": [ ... ],     // one per feature
 *  "training": {...}, "held_out": {...}}            // where it came from and how it measured (for people)
 * }</pre>
 * P(duplicate) = 1 / (1 + exp(-(intercept + Σ coefficient_i · feature_i))). A file whose format or
 * feature list differs from this build's is refused with a message that says which.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JudgeCoefficients(
    @JsonProperty("format") int format,
    @JsonProperty("features") List<String> features,
    @JsonProperty("first_model") String firstModel,
    @JsonProperty("second_model") String secondModel,
    @JsonProperty("first_model_onnx_sha256") String firstModelSha256,
    @JsonProperty("second_model_onnx_sha256") String secondModelSha256,
    @JsonProperty("intercept") double intercept,
    @JsonProperty("coefficients") double[] coefficients,
    @JsonProperty("training") JsonNode training,
    @JsonProperty("held_out") JsonNode heldOut) {
  /** The format this build reads and writes. */
  public static final int FORMAT = 1;
  /** The file shipped with cache-server. */
  public static final String RESOURCE = "dev/semcache/server/judge/second-stage-judge.json";
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * Checks what the judge relies on.
   *
   * @throws IllegalArgumentException naming the wrong value
   */
  public JudgeCoefficients {
    if (format != FORMAT) {
      throw new IllegalArgumentException("second-stage judge coefficients have format " + format
          + "; this build reads format " + FORMAT + " (retrain with ./semcache bench train-judge)");
    }
    if (!PairFeatures.NAMES.equals(features)) {
      throw new IllegalArgumentException("second-stage judge coefficients are for the features " + features
          + "; this build computes " + PairFeatures.NAMES + " (retrain with ./semcache bench train-judge)");
    }
    if (coefficients == null || coefficients.length != features.size()) {
      throw new IllegalArgumentException("second-stage judge coefficients must have one value per feature ("
          + features.size() + "); coefficients=" + (coefficients == null ? "null" : coefficients.length + " values"));
    }
    if (firstModel == null || secondModel == null || firstModel.equals(secondModel)) {
      throw new IllegalArgumentException("second-stage judge coefficients must name two different models;"
          + " first_model=" + firstModel + ", second_model=" + secondModel);
    }
    for (double c : coefficients) {
      if (!Double.isFinite(c)) {
        throw new IllegalArgumentException("second-stage judge coefficients must be finite; coefficients="
            + java.util.Arrays.toString(coefficients));
      }
    }
  }

  /** P(the pair means the same). */
  public double probability(PairFeatures f) {
    double z = intercept;
    for (int i = 0; i < coefficients.length; i++) {
      z += coefficients[i] * f.values()[i];
    }
    return 1 / (1 + Math.exp(-z));
  }

  /** Reads a coefficients file; {@code what} names it in messages. */
  public static JudgeCoefficients read(InputStream in, String what) {
    try {
      return JSON.readValue(in, JudgeCoefficients.class);
    } catch (com.fasterxml.jackson.databind.exc.ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new IllegalArgumentException(what + ": " + cause.getMessage(), cause);
    } catch (IOException e) {
      throw new IllegalArgumentException(what + " is not a readable coefficients file: " + e.getMessage(), e);
    }
  }

  /** The file shipped with cache-server. */
  public static JudgeCoefficients bundled() {
    try (InputStream in = JudgeCoefficients.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is not on the classpath");
      }
      return read(in, RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The file's text. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
