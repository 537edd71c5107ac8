package dev.semcache.index;

import java.util.regex.Pattern;

/** Rules for namespace names: they appear in keys, URLs and metric labels. */
public final class Namespaces {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  private Namespaces() {}

  /**
   * @throws IllegalArgumentException unless {@code name} is 1 to 64 characters of letters, digits, '.',
   *     '_' or '-', starting with a letter or digit
   */
  public static String requireValid(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("namespace must be 1 to 64 letters, digits, '.', '_' or '-',"
          + " starting with a letter or digit; namespace=" + (name == null ? "null" : "'" + name + "'"));
    }
    return name;
  }
}
