package dev.semcache.index;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The RocksDB value encodings of entries and their statistics. All integers are big-endian; a string is
 * a u32 byte length followed by that many bytes of UTF-8.
 *
 * <h2>Entry value, format 1 (column family {@code entries}, key: the entry id in UTF-8)</h2>
 * <pre>
 * u8      format            = 1
 * i64     created_at        epoch milliseconds
 * i64     ttl               milliseconds
 * string  namespace
 * u32     scope count n, then n times: string key, string value (keys in ascending order)
 * string  prompt
 * string  response
 * u32     metadata count m, then m times: string key, string value
 * u16     dimension d
 * f32 * d embedding         IEEE 754, big-endian
 * </pre>
 *
 * <h2>Stats value, format 1 (column family {@code stats}, key: the entry id)</h2>
 * <pre>
 * u8      format            = 1
 * i64     expires_at        epoch milliseconds
 * i64     hit_count
 * i64     last_hit_at       epoch milliseconds
 * </pre>
 *
 * A reader refuses a format byte it does not know rather than guess; a new format gets a new number
 * and this class keeps reading the old ones.
 */
public final class EntryCodec {
  static final byte ENTRY_FORMAT = 1;
  static final byte STATS_FORMAT = 1;
  static final int STATS_LENGTH = 1 + 8 + 8 + 8;

  private EntryCodec() {}

  public static byte[] encode(Entry e) {
    byte[] ns = utf8(e.namespace());
    byte[] prompt = utf8(e.prompt());
    byte[] response = utf8(e.response());
    Map<byte[], byte[]> scope = encodedPairs(e.scope().attributes());
    Map<byte[], byte[]> meta = encodedPairs(new TreeMap<>(e.metadata()));
    int size = 1 + 8 + 8 + 4 + ns.length + 4 + pairsLength(scope) + 4 + prompt.length + 4 + response.length
        + 4 + pairsLength(meta) + 2 + 4 * e.embedding().length;
    ByteBuffer b = ByteBuffer.allocate(size);
    b.put(ENTRY_FORMAT).putLong(e.createdAtMillis()).putLong(e.ttlMillis());
    putBytes(b, ns);
    putPairs(b, scope);
    putBytes(b, prompt);
    putBytes(b, response);
    putPairs(b, meta);
    if (e.embedding().length > 0xFFFF) {
      throw new IllegalArgumentException("embedding dimension must be at most 65535; dimension=" + e.embedding().length);
    }
    b.putShort((short) e.embedding().length);
    for (float f : e.embedding()) {
      b.putFloat(f);
    }
    return b.array();
  }

  /**
   * Decodes an entry value; {@code stats} supplies expiry and hit statistics.
   *
   * @throws CorruptEntryException if the bytes are not a complete value of a known format
   */
  private static final float[] NO_EMBEDDING = new float[0];

  public static Entry decode(String id, byte[] value, EntryStats stats) {
    return decode(id, value, stats, true);
  }

  /**
   * {@link #decode}, leaving the embedding out ({@code withEmbedding} false: the entry's embedding is an
   * empty array) for a reader that needs no vector, such as an exact hit: copying 384 floats was a tenth of
   * the exact path (JFR, bench/README.md). The value is checked as fully as by {@link #decode}.
   */
  public static Entry decode(String id, byte[] value, EntryStats stats, boolean withEmbedding) {
    try {
      ByteBuffer b = ByteBuffer.wrap(value);
      byte format = b.get();
      if (format != ENTRY_FORMAT) {
        throw new CorruptEntryException("entry " + id + " has value format " + format + "; this build reads format " + ENTRY_FORMAT);
      }
      long createdAt = b.getLong();
      long ttl = b.getLong();
      String ns = getString(b);
      Scope scope = new Scope(new TreeMap<>(getPairs(b)));
      String prompt = getString(b);
      String response = getString(b);
      Map<String, String> meta = getPairs(b);
      int dim = Short.toUnsignedInt(b.getShort());
      float[] v = withEmbedding ? new float[dim] : NO_EMBEDDING;
      if (withEmbedding) {
        b.asFloatBuffer().get(v); // bulk copy, same byte order as the buffer
      }
      b.position(b.position() + dim * Float.BYTES);
      if (b.hasRemaining()) {
        throw new CorruptEntryException("entry " + id + " has " + b.remaining() + " trailing bytes");
      }
      return new Entry(id, ns, scope, prompt, response, v, createdAt, ttl,
          stats.expiresAtMillis(), stats.hitCount(), stats.lastHitAtMillis(), meta);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CorruptEntryException("entry " + id + " is truncated or malformed: " + e, e);
    }
  }

  /**
   * The namespace of an entry value, read without decoding the rest (prompt, response, embedding).
   *
   * @throws CorruptEntryException if the bytes are not a value of a known format
   */
  public static String decodeNamespace(String id, byte[] value) {
    try {
      ByteBuffer b = ByteBuffer.wrap(value);
      byte format = b.get();
      if (format != ENTRY_FORMAT) {
        throw new CorruptEntryException("entry " + id + " has value format " + format + "; this build reads format " + ENTRY_FORMAT);
      }
      b.position(1 + 8 + 8);
      return getString(b);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new CorruptEntryException("entry " + id + " is truncated or malformed: " + e, e);
    }
  }

  public static byte[] encodeStats(EntryStats s) {
    return ByteBuffer.allocate(STATS_LENGTH).put(STATS_FORMAT)
        .putLong(s.expiresAtMillis()).putLong(s.hitCount()).putLong(s.lastHitAtMillis()).array();
  }

  public static EntryStats decodeStats(String id, byte[] value) {
    if (value.length != STATS_LENGTH || value[0] != STATS_FORMAT) {
      throw new CorruptEntryException("stats of entry " + id + " are not format " + STATS_FORMAT
          + " of " + STATS_LENGTH + " bytes (got " + value.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(value, 1, STATS_LENGTH - 1);
    return new EntryStats(b.getLong(), b.getLong(), b.getLong());
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Map<byte[], byte[]> encodedPairs(Map<String, String> pairs) {
    Map<byte[], byte[]> out = new java.util.LinkedHashMap<>();
    for (var e : pairs.entrySet()) {
      out.put(utf8(e.getKey()), utf8(e.getValue()));
    }
    return out;
  }

  private static int pairsLength(Map<byte[], byte[]> pairs) {
    int n = 0;
    for (var e : pairs.entrySet()) {
      n += 8 + e.getKey().length + e.getValue().length;
    }
    return n;
  }

  private static void putBytes(ByteBuffer b, byte[] bytes) {
    b.putInt(bytes.length).put(bytes);
  }

  private static void putPairs(ByteBuffer b, Map<byte[], byte[]> pairs) {
    b.putInt(pairs.size());
    for (var e : pairs.entrySet()) {
      putBytes(b, e.getKey());
      putBytes(b, e.getValue());
    }
  }

  private static String getString(ByteBuffer b) {
    int len = b.getInt();
    if (len < 0 || len > b.remaining()) {
      throw new IllegalArgumentException("string length " + len + " exceeds the " + b.remaining() + " bytes left");
    }
    byte[] bytes = new byte[len];
    b.get(bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static Map<String, String> getPairs(ByteBuffer b) {
    int n = b.getInt();
    if (n < 0 || n > b.remaining() / 8) {
      throw new IllegalArgumentException("pair count " + n + " impossible with " + b.remaining() + " bytes left");
    }
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < n; i++) {
      out.put(getString(b), getString(b));
    }
    return out;
  }
}
