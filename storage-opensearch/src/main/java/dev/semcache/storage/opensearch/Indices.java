package dev.semcache.storage.opensearch;

/**
 * The names of semcache's four indices under one prefix ({@link IndexMappings} describes each).
 *
 * @param entries one document per cached answer, with its vector
 * @param hits one small document per entry: its hit count, last hit and (sliding) expiry
 * @param configs one document per namespace
 * @param records analytics records
 */
record Indices(String entries, String hits, String configs, String records) {
  static Indices under(String prefix) {
    return new Indices(prefix + "entries", prefix + "hits", prefix + "configs", prefix + "records");
  }

  /** Both indices that hold a part of every entry, as one multi-index target. */
  String entriesAndHits() {
    return entries + "," + hits;
  }
}
