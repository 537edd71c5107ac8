package dev.semcache.index;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * What a namespace does with a prompt longer than the model reads (its token limit).
 *
 * <ul>
 *   <li>{@code reject}: the lookup or store fails with {@code prompt_too_long}. The default, because a
 *       truncated prompt is judged by its head alone: two long prompts that share a long system prompt
 *       and differ only in the question at the end would embed identically and hit each other.
 *   <li>{@code truncate}: the model reads the first tokens and ignores the rest. The exact path still
 *       compares the whole prompt.
 * </ul>
 */
public enum PromptOverflow {
  REJECT,
  TRUNCATE;

  @JsonValue
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static PromptOverflow parse(String value) {
    for (PromptOverflow p : values()) {
      if (p.value().equals(value)) {
        return p;
      }
    }
    throw new IllegalArgumentException("prompt_overflow must be 'reject' or 'truncate'; prompt_overflow="
        + (value == null ? "null" : "'" + value + "'"));
  }
}
