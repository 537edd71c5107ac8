package dev.semcache.embedding;

import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Reads a model's files from the classpath (the Maven Central artifacts named in the descriptor) and
 * checks each against its sha256 before anything native sees it. Nothing is ever downloaded.
 */
final class ModelFiles {
  private ModelFiles() {}

  /** The ONNX graph of {@code spec}, verified. */
  static byte[] onnx(ModelSpec spec) {
    return readVerified(spec, spec.onnxResource(), spec.onnxSha256());
  }

  /** The tokenizer.json of {@code spec}, verified. */
  static byte[] tokenizer(ModelSpec spec) {
    return readVerified(spec, spec.tokenizerResource(), spec.tokenizerSha256());
  }

  static byte[] readVerified(ModelSpec spec, String resource, String expectedSha256) {
    byte[] bytes;
    try (InputStream in = ModelFiles.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new ModelFileException("model file '" + resource + "' of model " + spec.name()
            + " is not on the classpath; it ships in the Maven artifact " + spec.artifact()
            + " (rebuild with ./semcache, which resolves it)");
      }
      bytes = in.readAllBytes();
    } catch (IOException e) {
      throw new ModelFileException("cannot read model file '" + resource + "': " + e.getMessage(), e);
    }
    String actual = sha256(bytes);
    if (!actual.equalsIgnoreCase(expectedSha256)) {
      throw new ModelFileException("model file '" + resource + "' of model " + spec.name()
          + " has sha256 " + actual + " but its descriptor expects " + expectedSha256
          + "; the artifact " + spec.artifact() + " is not the one semcache was built against");
    }
    return bytes;
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  }
}
