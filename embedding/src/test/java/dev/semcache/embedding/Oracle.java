package dev.semcache.embedding;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.OnnxEmbeddingModel;
import dev.langchain4j.model.embedding.onnx.PoolingMode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An independent implementation of each bundled model: langchain4j's in-process {@link
 * OnnxEmbeddingModel} (its own tokenizer set-up, tensors and pooling) over the same files, used only as a
 * test oracle.
 *
 * <p>One change to its input: the MiniLM tokenizer.json truncates at 128 tokens by itself, where we read
 * up to 256 (sentence-transformers' limit for this model). The oracle gets a copy without that built-in
 * truncation, and tests hand it only text that fits our limit ({@link OnnxEmbedder#readPrefix}), so both
 * sides read exactly the same tokens.
 */
final class Oracle {
  private Oracle() {}

  static EmbeddingModel of(String model) {
    ModelSpec spec = ModelSpec.named(model);
    try {
      Path dir = Files.createTempDirectory("semcache-oracle-");
      Path onnx = dir.resolve("model.onnx");
      Files.write(onnx, ModelFiles.onnx(spec));
      ObjectMapper json = new ObjectMapper();
      ObjectNode tokenizer = (ObjectNode) json.readTree(ModelFiles.tokenizer(spec));
      tokenizer.putNull("truncation");
      tokenizer.putNull("padding");
      Path tokenizerPath = dir.resolve("tokenizer.json");
      json.writeValue(tokenizerPath.toFile(), tokenizer);
      PoolingMode pooling = spec.pooling() == Pooling.MEAN ? PoolingMode.MEAN : PoolingMode.CLS;
      return new OnnxEmbeddingModel(onnx, tokenizerPath, pooling);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static float[] embed(EmbeddingModel model, String text) {
    return model.embed(text).content().vector();
  }
}
