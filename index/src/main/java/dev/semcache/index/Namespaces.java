package dev.semcache.index;

/** Rules for namespace names: they appear in keys, URLs and metric labels. */
public final class Namespaces {
  private Namespaces() {}

  /**
   * @throws IllegalArgumentException unless {@code name} is 1 to 64 characters of letters, digits, '.',
   *     '_' or '-', starting with a letter or digit
   */
  public static String requireValid(String name) {
    if (!isValid(name)) {
      throw new IllegalArgumentException("namespace must be 1 to 64 letters, digits, '.', '_' or '-',"
          + " starting with a letter or digit; namespace=" + (name == null ? "null" : "'" + name + "'"));
    }
    return name;
  }

  /**
   * Whether {@code name} matches {@code [A-Za-z0-9][A-Za-z0-9._-]{0,63}}, checked by hand: every lookup
   * checks its namespace, and the regular expression was a visible part of an exact hit's cost.
   * {@code NamespacesTest} checks both agree.
   */
  static boolean isValid(String name) {
    if (name == null || name.isEmpty() || name.length() > 64) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) {
        return false;
      }
    }
    return true;
  }
}
