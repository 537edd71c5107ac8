package dev.semcache.bench;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Traffic for the stream mode: the first wording of each group (intent) is stored, then the other
 * wordings are asked in a Zipf-skewed order, with never-seen queries mixed in.
 *
 * <p>How a query is drawn (seeded, so a run is reproducible): with probability {@code u / (u + w)}, where
 * {@code u} is the number of never-seen queries and {@code w} the number of other wordings, a never-seen
 * query uniformly; otherwise a group by Zipf's law over a seeded random ranking of the groups (rank
 * {@code r} has weight {@code 1 / r^exponent}), then one of its other wordings uniformly. Popular groups
 * come back often, in many wordings, and a popular wording is sometimes asked again word for word.
 *
 * @param seeds the stored entries: the first wording of each group, in the order of the data
 * @param queries the drawn traffic, repeats included
 * @param storedGroups the groups of the seeds: a query of another group has no right answer in the cache
 */
record QueryStream(List<Labelled> seeds, List<Labelled> queries, Set<String> storedGroups) {

  /**
   * @param inScope labelled queries whose groups get a stored first wording
   * @param neverSeen queries whose groups are never stored (out-of-scope, or intents held out)
   * @param length queries to draw
   */
  static QueryStream zipf(List<Labelled> inScope, List<Labelled> neverSeen, int length, double exponent, long seed) {
    if (length < 1) {
      throw new IllegalArgumentException("length must be positive; length=" + length);
    }
    if (!(exponent >= 0)) {
      throw new IllegalArgumentException("exponent must not be negative; exponent=" + exponent);
    }
    Map<String, List<Labelled>> byGroup = new LinkedHashMap<>();
    for (Labelled l : inScope) {
      byGroup.computeIfAbsent(l.group(), g -> new ArrayList<>()).add(l);
    }
    List<Labelled> seeds = new ArrayList<>();
    List<List<Labelled>> others = new ArrayList<>();
    for (List<Labelled> wordings : byGroup.values()) {
      seeds.add(wordings.get(0));
      if (wordings.size() > 1) {
        others.add(wordings.subList(1, wordings.size()));
      }
    }
    Set<String> stored = new LinkedHashSet<>(byGroup.keySet());
    for (Labelled l : neverSeen) {
      if (stored.contains(l.group())) {
        throw new IllegalArgumentException("a never-seen query belongs to a stored group; group=" + l.group());
      }
    }
    if (others.isEmpty()) {
      throw new IllegalArgumentException("no group has a second wording to ask with");
    }
    Random random = new Random(seed);
    Collections.shuffle(others, random);
    double[] cumulative = new double[others.size()];
    double sum = 0;
    for (int r = 0; r < others.size(); r++) {
      sum += 1 / Math.pow(r + 1, exponent);
      cumulative[r] = sum;
    }
    long wordings = others.stream().mapToLong(List::size).sum();
    double unseenShare = neverSeen.size() / (double) (neverSeen.size() + wordings);
    List<Labelled> queries = new ArrayList<>(length);
    for (int i = 0; i < length; i++) {
      if (random.nextDouble() < unseenShare) {
        queries.add(neverSeen.get(random.nextInt(neverSeen.size())));
      } else {
        int at = java.util.Arrays.binarySearch(cumulative, random.nextDouble() * sum);
        List<Labelled> group = others.get(Math.min(others.size() - 1, at >= 0 ? at : -at - 1));
        queries.add(group.get(random.nextInt(group.size())));
      }
    }
    return new QueryStream(List.copyOf(seeds), List.copyOf(queries), Set.copyOf(stored));
  }

  /** The distinct query texts, in first-asked order: each is looked up (and embedded) once. */
  List<String> distinctQueries() {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    queries.forEach(q -> out.add(q.text()));
    return new ArrayList<>(out);
  }
}
