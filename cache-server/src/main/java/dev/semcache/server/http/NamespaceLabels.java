package dev.semcache.server.http;

import dev.semcache.server.cache.SemanticCache;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which namespaces get a {@code namespace} label of their own in {@code /metrics}: at most {@code max};
 * every other namespace is counted under {@link #OTHER}, so that no caller can grow the label cardinality
 * (a million namespaces would otherwise be a million series per family). The set is seeded, the first
 * time a cache is ready, with the namespaces that had the most lookups by the persisted statistics; the
 * remaining places go to namespaces in the order they first show traffic. A namespace keeps its label for
 * the life of the process, so that its counters stay continuous.
 */
final class NamespaceLabels {
  static final String OTHER = "other";

  private final int max;
  private final Set<String> labelled = ConcurrentHashMap.newKeySet();
  private volatile boolean seeded;

  NamespaceLabels(int max) {
    this.max = max;
  }

  /** The label of a namespace: its own name, or {@link #OTHER}. */
  String of(String namespace) {
    if (labelled.contains(namespace)) {
      return namespace;
    }
    if (labelled.size() >= max) {
      return OTHER; // the usual case for an unlabelled namespace: no lock on the hot path
    }
    synchronized (this) {
      if (labelled.size() < max && !OTHER.equals(namespace)) {
        labelled.add(namespace);
        return namespace;
      }
    }
    return OTHER;
  }

  boolean labelled(String namespace) {
    return labelled.contains(namespace);
  }

  /** Gives the places to the busiest namespaces by their persisted lookups, once. */
  void seed(SemanticCache cache) {
    if (seeded) {
      return;
    }
    synchronized (this) {
      if (seeded) {
        return;
      }
      seeded = true;
      cache.namespaces().stream()
          .sorted(Comparator.comparingLong((String ns) -> cache.analytics().stats(ns).lookups()).reversed())
          .limit(Math.max(0, max - labelled.size()))
          .forEach(this::of);
    }
  }
}
