package dev.semcache.server.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.semcache.index.PromptNormalizer;
import dev.semcache.index.Scope;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Embeddings of recent misses, kept for a short time under their lookup id so that the store which
 * follows the model call does not embed the same prompt again. Bounded in age and in bytes (Caffeine,
 * weighed), and no namespace holds more than its share of those bytes.
 *
 * <p>Why bytes and shares: the table used to keep whole prompts, bounded only by count, so a read key
 * looping 1 MiB misses could fill the heap; and one namespace's flood of misses pushed every other
 * namespace's misses out. Now a pending miss keeps the SHA-256 of its normalised prompt (32 bytes, enough
 * to check that the store names the same prompt) and its vector, and a namespace over its share simply
 * is not remembered: its store embeds again, which costs time, never a wrong answer.
 */
final class PendingLookups {
  /** Estimated heap bytes of one pending miss besides its vector: key, record, hash, map node. */
  static final int OVERHEAD_BYTES = 200;

  record Pending(String namespace, Scope scope, byte[] promptHash, float[] vector) {
    int bytes() {
      return OVERHEAD_BYTES + 4 * vector.length + 64 * scope.attributes().size();
    }
  }

  private final Cache<String, Pending> cache;
  private final long namespaceBytes;
  private final ConcurrentHashMap<String, AtomicLong> held = new ConcurrentHashMap<>();
  private final LongAdder refused = new LongAdder();

  /**
   * @param maxBytes estimated heap bytes kept at most, all namespaces together
   * @param namespaceShare the fraction of {@code maxBytes} one namespace may hold, above 0 and at most 1
   */
  PendingLookups(long maxBytes, double namespaceShare, Duration ttl, Ticker ticker) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("pending bytes must be positive; maxBytes=" + maxBytes);
    }
    if (!(namespaceShare > 0 && namespaceShare <= 1)) {
      throw new IllegalArgumentException("namespace share must be above 0 and at most 1; namespaceShare=" + namespaceShare);
    }
    this.namespaceBytes = (long) (maxBytes * namespaceShare);
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String id, Pending p) -> p.bytes())
        .expireAfterWrite(ttl)
        .ticker(ticker)
        .executor(Runnable::run) // the listener keeps the shares exact; it is a counter update
        .removalListener((String id, Pending p, RemovalCause cause) -> {
          if (p != null) {
            held.computeIfPresent(p.namespace(), (ns, n) -> n.addAndGet(-p.bytes()) <= 0 ? null : n);
          }
        })
        .build();
  }

  /** Remembers a miss's vector; false (and nothing kept) if its namespace holds its share already. */
  boolean remember(String lookupId, String namespace, Scope scope, String prompt, float[] vector) {
    Pending p = new Pending(namespace, scope, hash(prompt), vector);
    int bytes = p.bytes();
    if (!reserve(namespace, bytes)) {
      cache.cleanUp(); // expired entries give their bytes back only when Caffeine does its maintenance
      if (!reserve(namespace, bytes)) {
        refused.increment();
        return false;
      }
    }
    cache.put(lookupId, p);
    return true;
  }

  private boolean reserve(String namespace, int bytes) {
    boolean[] ok = {false};
    held.compute(namespace, (ns, n) -> {
      AtomicLong h = n == null ? new AtomicLong() : n;
      if (h.get() + bytes <= namespaceBytes) {
        h.addAndGet(bytes);
        ok[0] = true;
      }
      return h.get() == 0 ? null : h;
    });
    return ok[0];
  }

  /** The vector remembered for {@code lookupId}, if it belongs to the same namespace, scope and prompt. */
  Optional<float[]> vectorFor(String lookupId, String namespace, Scope scope, String prompt) {
    if (lookupId == null) {
      return Optional.empty();
    }
    Pending p = cache.getIfPresent(lookupId);
    if (p == null || !p.namespace().equals(namespace) || !p.scope().equals(scope)
        || !Arrays.equals(p.promptHash(), hash(prompt))) {
      return Optional.empty();
    }
    return Optional.of(p.vector());
  }

  long size() {
    return cache.estimatedSize();
  }

  /** Estimated heap bytes held, all namespaces together. */
  long bytes() {
    return cache.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  /** Estimated heap bytes one namespace holds. */
  long bytes(String namespace) {
    AtomicLong h = held.get(namespace);
    return h == null ? 0 : h.get();
  }

  /** Misses not remembered because their namespace held its share. */
  long refused() {
    return refused.sum();
  }

  private static byte[] hash(String prompt) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(PromptNormalizer.normalize(prompt).getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
