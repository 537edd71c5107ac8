package dev.semcache.index;

import java.text.Normalizer;

/**
 * The normalisation behind the exact path: two prompts that differ only in Unicode composition (NFC)
 * or in leading, trailing or repeated white space are the same prompt. Case and punctuation are kept:
 * "Run ls" and "run LS" can deserve different answers, and the semantic path catches the rest.
 */
public final class PromptNormalizer {
  private PromptNormalizer() {}

  /**
   * NFC, then {@link String#strip()}, then every run of the regular expression {@code \\s} (ASCII space,
   * tab, line feed, vertical tab, form feed, carriage return) replaced by one space. Exact keys are
   * stored, so this must never change meaning; {@code PromptNormalizerTest} pins it to the regular
   * expression form. Written as a loop because it runs on every lookup.
   */
  public static String normalize(String prompt) {
    String s = Normalizer.normalize(prompt, Normalizer.Form.NFC).strip();
    int n = s.length();
    int i = 0;
    while (i < n && !(isSpace(s.charAt(i)) && (s.charAt(i) != ' ' || (i + 1 < n && isSpace(s.charAt(i + 1)))))) {
      i++;
    }
    if (i == n) {
      return s; // nothing to collapse: the common case
    }
    StringBuilder out = new StringBuilder(n).append(s, 0, i);
    while (i < n) {
      char c = s.charAt(i);
      if (isSpace(c)) {
        out.append(' ');
        while (i < n && isSpace(s.charAt(i))) {
          i++;
        }
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\u000B' || c == '\f' || c == '\r';
  }
}
