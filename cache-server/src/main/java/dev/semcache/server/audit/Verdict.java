package dev.semcache.server.audit;

import java.util.Locale;

/** Whether a served (or, for a near miss, a would-be) answer was right for the prompt. */
public enum Verdict {
  CORRECT,
  FALSE_HIT;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The verdict named {@code wire}, or an exception that names the bad value. */
  public static Verdict parse(String wire) {
    for (Verdict v : values()) {
      if (v.wire().equals(wire)) {
        return v;
      }
    }
    throw new IllegalArgumentException("verdict must be 'correct' or 'false_hit'; verdict='" + wire + "'");
  }
}
