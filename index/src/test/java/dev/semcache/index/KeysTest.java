package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Exact-path keys are stored on disk: the fast path for the empty scope must give the same bytes. */
class KeysTest {
  private static byte[] general(String namespace, Scope scope, String prompt) {
    byte[] partition = Keys.partitionBytes(namespace, scope);
    byte[] hash = Keys.sha256(PromptNormalizer.normalize(prompt).getBytes(StandardCharsets.UTF_8));
    byte[] key = new byte[partition.length + hash.length];
    System.arraycopy(partition, 0, key, 0, partition.length);
    System.arraycopy(hash, 0, key, partition.length, hash.length);
    return key;
  }

  @Test
  void theEmptyScopeKeyIsThePartitionBytesThenThePromptHash() {
    for (String ns : new String[] {"faq", "a", "tenant-ünïcode", "x".repeat(200)}) {
      for (String prompt : new String[] {"How do I reset my password?", "  spaced   out  ", "日本語のプロンプト"}) {
        assertThat(Keys.exact(ns, Scope.EMPTY, prompt)).isEqualTo(general(ns, Scope.EMPTY, prompt));
      }
    }
    Scope scoped = Scope.of(Map.of("lang", "en"));
    assertThat(Keys.exact("faq", scoped, "hi")).isEqualTo(general("faq", scoped, "hi"))
        .isNotEqualTo(Keys.exact("faq", Scope.EMPTY, "hi"));
  }
}
