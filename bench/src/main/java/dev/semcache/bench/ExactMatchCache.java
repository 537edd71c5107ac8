package dev.semcache.bench;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import dev.semcache.bench.AccuracyDatasets.MockPair;
import dev.semcache.index.PromptNormalizer;
import dev.semcache.server.cli.LabelledPairs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The baseline most gateways ship: a cache keyed by the prompt string, normalised as semcache's own exact
 * path normalises it ({@link PromptNormalizer}: NFC, trimmed, runs of white space collapsed). Its outcomes
 * have similarity 1 on a hit and NaN on a miss, so every threshold of the grid gives the same counts.
 */
final class ExactMatchCache {
  private ExactMatchCache() {}

  static List<Outcome> pairs(List<LabelledPairs.Pair> pairs) {
    List<Outcome> out = new ArrayList<>(pairs.size());
    for (LabelledPairs.Pair p : pairs) {
      boolean hit = key(p.a()).equals(key(p.b()));
      out.add(new Outcome(hit ? 1f : Float.NaN, p.same(), p.same()));
    }
    return out;
  }

  static List<Outcome> gptcache(List<MockPair> rows) {
    Map<String, Integer> stored = new HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      stored.put(key(rows.get(i).origin()), i); // a later duplicate origin replaces the earlier, like a map
    }
    List<Outcome> out = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Integer served = stored.get(key(rows.get(i).similar()));
      out.add(new Outcome(served != null ? 1f : Float.NaN, true, served != null && served == i));
    }
    return out;
  }

  /**
   * The stream's traffic against the same stored first wordings.
   *
   * @param storeMisses whether each miss is then stored with its own group, as a gateway does after asking
   *     the model: a query asked again word for word then hits. A query has a right answer in the cache
   *     when an entry of its group was stored before it was asked.
   */
  static List<Outcome> stream(QueryStream stream, boolean storeMisses) {
    Map<String, String> stored = new HashMap<>();
    stream.seeds().forEach(s -> stored.put(key(s.text()), s.group()));
    Set<String> groupsInCache = new HashSet<>(stream.storedGroups());
    List<Outcome> out = new ArrayList<>(stream.queries().size());
    for (Labelled q : stream.queries()) {
      String k = key(q.text());
      String served = stored.get(k);
      out.add(new Outcome(served != null ? 1f : Float.NaN, groupsInCache.contains(q.group()), q.group().equals(served)));
      if (served == null && storeMisses) {
        stored.put(k, q.group());
        groupsInCache.add(q.group());
      }
    }
    return out;
  }

  private static String key(String prompt) {
    return PromptNormalizer.normalize(prompt);
  }
}
