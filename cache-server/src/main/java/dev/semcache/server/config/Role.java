package dev.semcache.server.config;

import java.util.Locale;

/**
 * What a key may do. Each of read, write and admin includes the ones before it. {@code metrics} stands
 * apart: it reads {@code /metrics} and the dashboard's figures (namespace list, statistics, analysis) of
 * its namespaces, and nothing else; admin includes it.
 */
public enum Role {
  READ,
  WRITE,
  ADMIN,
  METRICS;

  public boolean includes(Role other) {
    if (this == METRICS || other == METRICS) {
      return this == other || this == ADMIN;
    }
    return ordinal() >= other.ordinal();
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Role parse(String value, String key) {
    for (Role r : values()) {
      if (r.wire().equals(value)) {
        return r;
      }
    }
    throw new IllegalArgumentException(key + " must be read, write, admin or metrics; " + key + "=" + value);
  }

  public static Role parse(String value) {
    return parse(value, "role");
  }
}
