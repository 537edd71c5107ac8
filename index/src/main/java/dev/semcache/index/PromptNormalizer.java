package dev.semcache.index;

import java.text.Normalizer;
import java.util.regex.Pattern;

/**
 * The normalisation behind the exact path: two prompts that differ only in Unicode composition (NFC)
 * or in leading, trailing or repeated white space are the same prompt. Case and punctuation are kept:
 * "Run ls" and "run LS" can deserve different answers, and the semantic path catches the rest.
 */
public final class PromptNormalizer {
  private static final Pattern SPACES = Pattern.compile("\\s+");

  private PromptNormalizer() {}

  public static String normalize(String prompt) {
    return SPACES.matcher(Normalizer.normalize(prompt, Normalizer.Form.NFC).strip()).replaceAll(" ");
  }
}
