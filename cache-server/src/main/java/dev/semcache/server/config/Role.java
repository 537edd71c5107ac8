package dev.semcache.server.config;

import java.util.Locale;

/** What a key may do. Each role includes the ones before it. */
public enum Role {
  READ,
  WRITE,
  ADMIN;

  public boolean includes(Role other) {
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
    throw new IllegalArgumentException(key + " must be read, write or admin; " + key + "=" + value);
  }

  public static Role parse(String value) {
    return parse(value, "role");
  }
}
