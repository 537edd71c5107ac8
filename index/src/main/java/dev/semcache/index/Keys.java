package dev.semcache.index;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * Keys derived from (namespace, scope, prompt). Every variable-length part is length-prefixed, so no
 * choice of namespace, scope keys or values can make two different partitions share a key.
 */
public final class Keys {
  private Keys() {}

  /**
   * The partition of (namespace, scope), as the index filters on it: hex SHA-256 of the length-prefixed
   * namespace and sorted scope attributes.
   */
  public static String partition(String namespace, Scope scope) {
    return HexFormat.of().formatHex(sha256(partitionBytes(namespace, scope)));
  }

  /** The exact-path key: the partition bytes followed by the SHA-256 of the normalised prompt. */
  public static byte[] exact(String namespace, Scope scope, String prompt) {
    byte[] promptHash = sha256(PromptNormalizer.normalize(prompt).getBytes(StandardCharsets.UTF_8));
    if (scope.attributes().isEmpty()) {
      // The common case, written straight into the key: the same bytes as partitionBytes, without its
      // two streams and three copies (every exact lookup computes this key).
      byte[] ns = namespace.getBytes(StandardCharsets.UTF_8);
      byte[] key = new byte[4 + ns.length + 4 + promptHash.length];
      java.nio.ByteBuffer.wrap(key).putInt(ns.length).put(ns).putInt(0).put(promptHash);
      return key;
    }
    byte[] partition = partitionBytes(namespace, scope);
    byte[] key = new byte[partition.length + promptHash.length];
    System.arraycopy(partition, 0, key, 0, partition.length);
    System.arraycopy(promptHash, 0, key, partition.length, promptHash.length);
    return key;
  }

  static byte[] partitionBytes(String namespace, Scope scope) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writeString(out, namespace);
      out.writeInt(scope.attributes().size());
      for (Map.Entry<String, String> e : scope.attributes().entrySet()) {
        writeString(out, e.getKey());
        writeString(out, e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static void writeString(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("every JDK has SHA-256", e);
    }
  });

  static byte[] sha256(byte[] bytes) {
    return SHA256.get().digest(bytes); // digest() resets the instance for the next use
  }
}
