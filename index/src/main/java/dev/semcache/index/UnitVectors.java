package dev.semcache.index;

/** The check every storage applies to a vector before storing it, with the messages the API returns. */
public final class UnitVectors {
  private UnitVectors() {}

  /**
   * @throws IllegalArgumentException unless {@code v} has {@code dimension} finite components and unit length
   */
  public static void require(float[] v, int dimension) {
    if (v == null || v.length != dimension) {
      throw new IllegalArgumentException("embedding must have " + dimension + " dimensions; dimension="
          + (v == null ? "null" : v.length));
    }
    double norm = 0;
    for (float x : v) {
      if (!Float.isFinite(x)) {
        throw new IllegalArgumentException("embedding must hold finite numbers; found " + x);
      }
      norm += (double) x * x;
    }
    if (Math.abs(norm - 1) > 1e-3) {
      throw new IllegalArgumentException("embedding must be unit length; squared norm=" + norm);
    }
  }
}
