package dev.semcache.embedding;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.util.Locale;

/**
 * ONNX Runtime session settings.
 *
 * @param intraOpThreads threads one inference may use (ONNX Runtime's intra-op pool); 0 lets ONNX
 *     Runtime choose (one per physical core)
 * @param optimization graph optimisation level: {@code none}, {@code basic}, {@code extended} or
 *     {@code all}
 * @param maxBatch the most sequences one inference call carries; larger requests are split
 */
public record OnnxOptions(int intraOpThreads, String optimization, int maxBatch) {

  /** One thread per available processor, every graph optimisation, batches of up to 64. */
  public static OnnxOptions defaults() {
    return new OnnxOptions(Runtime.getRuntime().availableProcessors(), "all", 64);
  }

  public OnnxOptions {
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException(
          "intra-op threads must not be negative; intra_op_threads=" + intraOpThreads);
    }
    if (maxBatch < 1) {
      throw new IllegalArgumentException("max batch must be positive; max_batch=" + maxBatch);
    }
    optLevel(optimization); // validates
  }

  OptLevel optLevel() {
    return optLevel(optimization);
  }

  private static OptLevel optLevel(String name) {
    return switch (name == null ? "" : name.toLowerCase(Locale.ROOT)) {
      case "none" -> OptLevel.NO_OPT;
      case "basic" -> OptLevel.BASIC_OPT;
      case "extended" -> OptLevel.EXTENDED_OPT;
      case "all" -> OptLevel.ALL_OPT;
      default -> throw new IllegalArgumentException(
          "optimization must be one of none, basic, extended, all; optimization=" + name);
    };
  }

  public OnnxOptions withIntraOpThreads(int threads) {
    return new OnnxOptions(threads, optimization, maxBatch);
  }
}
