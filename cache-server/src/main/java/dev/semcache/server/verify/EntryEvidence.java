package dev.semcache.server.verify;

import java.nio.ByteBuffer;

/**
 * The verdicts gathered on one entry: at which similarity a lookup found it nearest, and whether its
 * answer was right for that lookup. Keeps the latest {@link #CAPACITY}; older ones say little more
 * once there are that many, and an entry's answer may have been changed since.
 *
 * <p>Thread-safe: verdicts arrive on storage threads while lookups read the curve. The posterior is
 * cached with the prior it was computed from, and recomputed when either changes.
 *
 * <h2>Stored form (format 1)</h2>
 * Big-endian: byte 1 (the format), int n, then n times: float similarity, byte correct (1) or false (0).
 */
public final class EntryEvidence {
  public static final int CAPACITY = 128;
  static final byte FORMAT = 1;

  private final float[] similarity = new float[CAPACITY];
  private final boolean[] correct = new boolean[CAPACITY];
  private int size;
  private int next;
  private CorrectnessCurve fittedFrom;
  private CorrectnessCurve fitted;

  /** Adds a verdict, dropping the oldest beyond {@link #CAPACITY}. */
  public synchronized void add(double s, boolean isCorrect) {
    similarity[next] = (float) s;
    correct[next] = isCorrect;
    next = (next + 1) % CAPACITY;
    size = Math.min(CAPACITY, size + 1);
    fitted = null;
  }

  public synchronized int size() {
    return size;
  }

  /** The entry's own curve: {@code prior} updated with its verdicts. */
  public synchronized CorrectnessCurve curve(CorrectnessCurve prior) {
    if (size == 0) {
      return prior;
    }
    if (fitted == null || !prior.equals(fittedFrom)) {
      fitted = fit(prior, true);
      fittedFrom = prior;
    }
    return fitted;
  }

  /** The normal approximation of the entry's curve from {@code prior}, not cached (for the spread between entries). */
  public synchronized CorrectnessCurve summary(CorrectnessCurve prior) {
    return size == 0 ? prior : fit(prior, false);
  }

  private CorrectnessCurve fit(CorrectnessCurve prior, boolean withGrid) {
    {
      double[] s = new double[size];
      double[] y = new double[size];
      double[] w = new double[size];
      for (int i = 0; i < size; i++) {
        s[i] = similarity[i];
        y[i] = correct[i] ? 1 : 0;
        w[i] = 1;
      }
      return CurveFit.posterior(prior, s, y, w, size, withGrid);
    }
  }

  public synchronized byte[] encode() {
    ByteBuffer b = ByteBuffer.allocate(1 + 4 + size * 5);
    b.put(FORMAT).putInt(size);
    for (int i = 0; i < size; i++) {
      int at = (next - size + i + CAPACITY) % CAPACITY; // oldest first
      b.putFloat(similarity[at]).put((byte) (correct[at] ? 1 : 0));
    }
    return b.array();
  }

  /** Reads the stored form; throws with the key's name if it is not format 1. */
  public static EntryEvidence decode(String key, byte[] value) {
    ByteBuffer b = ByteBuffer.wrap(value);
    if (value.length < 5 || b.get() != FORMAT) {
      throw new IllegalStateException("verification record " + key + " is not format " + FORMAT);
    }
    int n = b.getInt();
    if (n < 0 || n > CAPACITY || value.length != 5 + 5 * n) {
      throw new IllegalStateException("verification record " + key + " is corrupt: " + n + " verdicts in "
          + value.length + " bytes");
    }
    EntryEvidence e = new EntryEvidence();
    for (int i = 0; i < n; i++) {
      e.add(b.getFloat(), b.get() == 1);
    }
    return e;
  }
}
