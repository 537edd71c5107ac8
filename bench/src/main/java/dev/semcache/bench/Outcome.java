package dev.semcache.bench;

/**
 * What the cache did with one query of an accuracy run, independent of the threshold: the similarity of
 * the entry it would serve, and whether serving it would be right.
 *
 * @param similarity similarity of the nearest entry (1 for an exact hit; NaN if the cache had none)
 * @param answerable whether the cache holds a right answer for this query (pairs: labelled same meaning;
 *     stream: the query's group was stored; never-seen queries are not answerable)
 * @param correctIfHit whether the entry it would serve is a right answer (pairs: labelled same meaning;
 *     stream: the served entry's group is the query's)
 */
record Outcome(float similarity, boolean answerable, boolean correctIfHit) {

  /** A hit at threshold {@code t}: the cache serves its nearest entry when its similarity reaches t. */
  boolean hitAt(double t) {
    return similarity >= t; // NaN never hits
  }
}
