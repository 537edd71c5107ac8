package dev.semcache.index;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Namespace configs of an {@link EmbeddedCacheStorage}: stored in the entry store, read once and kept in
 * memory, because every lookup needs its namespace's config.
 */
final class NamespaceConfigs {
  private final EntryStore store;
  private final WriteGate gate;
  private final Map<String, NamespaceConfig> cached = new ConcurrentHashMap<>();

  NamespaceConfigs(EntryStore store, WriteGate gate) {
    this.store = store;
    this.gate = gate;
  }

  NamespaceConfig config(String namespace) {
    return stored(namespace).orElseGet(NamespaceConfig::defaults);
  }

  Optional<NamespaceConfig> stored(String namespace) {
    NamespaceConfig c = cached.get(namespace);
    if (c != null) {
      return Optional.of(c);
    }
    Optional<NamespaceConfig> stored = store.namespace(namespace);
    stored.ifPresent(s -> cached.putIfAbsent(namespace, s));
    return stored;
  }

  Optional<NamespaceConfig> inMemory(String namespace) {
    return Optional.ofNullable(cached.get(namespace));
  }

  /** Stores a config durably and returns the one it replaced (the defaults if none). */
  NamespaceConfig put(String namespace, NamespaceConfig config) {
    gate.lock();
    try {
      gate.ensureOpen();
      NamespaceConfig before = config(namespace);
      store.putNamespace(namespace, config);
      cached.put(namespace, config);
      return before;
    } finally {
      gate.unlock();
    }
  }

  NamespaceConfig createIfAbsent(String namespace, NamespaceConfig config) {
    Optional<NamespaceConfig> existing = stored(namespace);
    if (existing.isPresent()) {
      return existing.get();
    }
    gate.lock();
    try {
      gate.ensureOpen();
      Optional<NamespaceConfig> again = store.namespace(namespace);
      if (again.isPresent()) {
        return again.get();
      }
      store.putNamespace(namespace, config);
      cached.put(namespace, config);
      return config;
    } finally {
      gate.unlock();
    }
  }

  List<String> names() {
    return store.namespaces();
  }
}
