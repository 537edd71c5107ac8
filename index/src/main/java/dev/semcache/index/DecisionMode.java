package dev.semcache.index;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * How a namespace decides whether a lookup's nearest entry is served.
 *
 * <ul>
 *   <li>{@code static}: when its similarity reaches the namespace's {@code threshold}. The default.
 *   <li>{@code verified}: when, by what audits have taught about that entry, the probability that its
 *       answer is wrong at this similarity is at most {@code max_false_hit_rate}; undecided lookups are
 *       misses that ask for an audit ({@code explore}). See docs/verified.md.
 * </ul>
 */
public enum DecisionMode {
  STATIC,
  VERIFIED;

  @JsonValue
  public String value() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static DecisionMode parse(String value) {
    for (DecisionMode m : values()) {
      if (m.value().equals(value)) {
        return m;
      }
    }
    throw new IllegalArgumentException("decision must be 'static' or 'verified'; decision="
        + (value == null ? "null" : "'" + value + "'"));
  }
}
