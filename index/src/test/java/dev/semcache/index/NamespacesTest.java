package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The namespace rule, checked by hand, agrees with the documented pattern. */
class NamespacesTest {
  private static final Pattern DOCUMENTED = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  @Test
  void agreesWithTheDocumentedPattern() {
    List<String> names = new ArrayList<>(List.of("", "a", "A", "0", ".a", "_a", "-a", "a.b_c-d", "a b", "ä", "a/b",
        "a".repeat(64), "a".repeat(65), "faq", "Faq-2.prod_eu", "a\u0000", "a:b", "a\n"));
    String alphabet = "aZ09._- /:é\u0000@";
    SplittableRandom random = new SplittableRandom(3);
    for (int i = 0; i < 50_000; i++) {
      StringBuilder b = new StringBuilder();
      for (int n = random.nextInt(70); n > 0; n--) {
        b.append(random.nextInt(4) == 0 ? alphabet.charAt(random.nextInt(alphabet.length())) : 'k');
      }
      names.add(b.toString());
    }
    for (String name : names) {
      assertThat(Namespaces.isValid(name)).as("'%s'", name).isEqualTo(DOCUMENTED.matcher(name).matches());
    }
    assertThat(Namespaces.isValid(null)).isFalse();
  }

  @Test
  void refusalNamesTheValue() {
    assertThatThrownBy(() -> Namespaces.requireValid("no spaces")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("namespace='no spaces'");
  }
}
