package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.text.Normalizer;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Exact keys are stored: the normaliser must keep the meaning it was defined with, a regular expression. */
class PromptNormalizerTest {
  private static final Pattern SPACES = Pattern.compile("\\s+");

  static String reference(String prompt) {
    return SPACES.matcher(Normalizer.normalize(prompt, Normalizer.Form.NFC).strip()).replaceAll(" ");
  }

  @Test
  void matchesTheRegularExpressionDefinitionOnRandomText() {
    char[] alphabet = {'a', 'b', ' ', ' ', '\t', '\n', '\u000B', '\f', '\r', '\u00a0', '\u2003', '\u3000', 'e', '\u0301',
        '\u00e9', '.', '?', '\u1680', '\u0085'};
    Random r = new Random(42);
    for (int i = 0; i < 200_000; i++) {
      int len = r.nextInt(12);
      StringBuilder b = new StringBuilder();
      for (int j = 0; j < len; j++) {
        b.append(alphabet[r.nextInt(alphabet.length)]);
      }
      String s = b.toString();
      assertThat(PromptNormalizer.normalize(s)).as("'%s'", s).isEqualTo(reference(s));
    }
  }

  @Test
  void examples() {
    assertThat(PromptNormalizer.normalize("  How do I\t reset   my password? ")).isEqualTo("How do I reset my password?");
    assertThat(PromptNormalizer.normalize("caf\u0065\u0301")).isEqualTo("caf\u00e9");
    assertThat(PromptNormalizer.normalize("Run ls")).isEqualTo("Run ls");
  }
}
