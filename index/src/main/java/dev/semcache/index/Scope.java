package dev.semcache.index;

import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Exact-match attributes of a lookup ({@code model}, {@code temperature}, a system-prompt hash, a user
 * id...). Two prompts can only match when their namespaces and scopes are equal. Attribute order does not
 * matter; keys and values are compared byte for byte.
 */
public record Scope(SortedMap<String, String> attributes) {
  /** The scope of lookups that name no attributes. */
  public static final Scope EMPTY = new Scope(new TreeMap<>());

  public Scope {
    for (var e : attributes.entrySet()) {
      if (e.getKey() == null || e.getKey().isEmpty()) {
        throw new IllegalArgumentException("scope keys must be non-empty strings");
      }
      if (e.getValue() == null) {
        throw new IllegalArgumentException("scope value of '" + e.getKey() + "' must be a string, not null");
      }
    }
    attributes = Collections.unmodifiableSortedMap(new TreeMap<>(attributes));
  }

  public static Scope of(Map<String, String> attributes) {
    return attributes == null || attributes.isEmpty() ? EMPTY : new Scope(new TreeMap<>(attributes));
  }

  public boolean isEmpty() {
    return attributes.isEmpty();
  }

  @Override
  public String toString() {
    return attributes.toString();
  }
}
