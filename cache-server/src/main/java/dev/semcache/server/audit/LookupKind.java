package dev.semcache.server.audit;

import java.util.Locale;

/** What an audit judged: a served semantic hit, or the nearest entry of a near miss (never served). */
public enum LookupKind {
  HIT,
  NEAR_MISS;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
