package dev.semcache.embedding;

import java.util.Arrays;

/** Token ids as a map key: two texts with equal keys get the same vector. */
record TokenKey(long[] ids) {
  @Override
  public boolean equals(Object o) {
    return o instanceof TokenKey k && Arrays.equals(ids, k.ids);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids);
  }

  @Override
  public String toString() {
    return "TokenKey" + Arrays.toString(ids);
  }
}
