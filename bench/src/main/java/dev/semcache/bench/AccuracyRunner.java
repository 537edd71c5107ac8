package dev.semcache.bench;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import dev.semcache.bench.AccuracyDatasets.MockPair;
import dev.semcache.index.Scope;
import dev.semcache.server.cli.LabelledPairs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Runs labelled traffic through a cache ({@link CacheUnderTest}: the real core in process, or a running
 * server over HTTP) and turns its answers into {@link Outcome}s. Each dataset gets a namespace of its own.
 *
 * <p>Every lookup is made with the threshold 0 (a per-request override): the cache then answers with its
 * nearest entry and that entry's similarity, which decides the outcome at every threshold of the grid at
 * once, because the cache's contents do not depend on the threshold here (misses are not stored). A
 * query asked again gets the same answer, so each distinct query text is looked up, and embedded, once.
 * {@link #streamStoringMisses} is the exception: it stores misses, so it runs at one threshold.
 */
final class AccuracyRunner {
  private final CacheUnderTest cache;

  AccuracyRunner(CacheUnderTest cache) {
    this.cache = cache;
  }

  /** What the cache answered a lookup with at threshold 0: the nearest entry's response and similarity. */
  record Answer(float similarity, String response) {}

  /**
   * Pairs mode: each pair's {@code a} is stored under a scope of its own, then {@code b} is looked up in
   * that scope, so it can only find its own {@code a}.
   */
  List<Outcome> pairs(String namespace, List<LabelledPairs.Pair> pairs) {
    List<Integer> ids = java.util.stream.IntStream.range(0, pairs.size()).boxed().toList();
    inWindows(ids, i -> cache.store(namespace, pairs.get(i).a(), "pair " + i, scope(i), null), namespace + ": store text_a");
    cache.awaitSearchable();
    List<Answer> answers = inWindows(ids, i -> lookup(namespace, pairs.get(i).b(), scope(i)), namespace + ": look up text_b");
    List<Outcome> out = new ArrayList<>(pairs.size());
    for (int i = 0; i < pairs.size(); i++) {
      boolean same = pairs.get(i).same();
      out.add(new Outcome(answers.get(i).similarity(), same, same));
    }
    return out;
  }

  /** Stream mode: the seeds are stored (answer: their group), then the traffic is looked up. */
  List<Outcome> stream(String namespace, QueryStream stream) {
    inWindows(stream.seeds(), s -> cache.store(namespace, s.text(), s.group(), Scope.EMPTY, null),
        namespace + ": store first wordings");
    cache.awaitSearchable();
    List<String> distinct = stream.distinctQueries();
    List<Answer> answers = inWindows(distinct, q -> lookup(namespace, q, Scope.EMPTY), namespace + ": look up");
    Map<String, Answer> byText = new HashMap<>();
    for (int i = 0; i < distinct.size(); i++) {
      byText.put(distinct.get(i), answers.get(i));
    }
    List<Outcome> out = new ArrayList<>(stream.queries().size());
    for (Labelled q : stream.queries()) {
      Answer a = byText.get(q.text());
      out.add(new Outcome(a.similarity(), stream.storedGroups().contains(q.group()), q.group().equals(a.response())));
    }
    return out;
  }

  /**
   * Stream mode as a gateway runs it at one threshold: every miss is stored (answer: its group), with the
   * embedding of its lookup, before the next query is looked up. The cache's contents now depend on the
   * threshold, so this runs the traffic once per threshold asked for, one query at a time. A query has a
   * right answer in the cache when an entry of its group was stored before it was asked.
   */
  List<Outcome> streamStoringMisses(String namespace, QueryStream stream, double threshold) {
    inWindows(stream.seeds(), s -> cache.store(namespace, s.text(), s.group(), Scope.EMPTY, null),
        namespace + ": store first wordings");
    cache.awaitSearchable();
    java.util.Set<String> groupsInCache = new java.util.HashSet<>(stream.storedGroups());
    List<Outcome> out = new ArrayList<>(stream.queries().size());
    long start = System.nanoTime();
    long lastReport = start;
    for (Labelled q : stream.queries()) {
      CacheUnderTest.Answer r = cache.lookup(namespace, q.text(), Scope.EMPTY, threshold).join();
      boolean answerable = groupsInCache.contains(q.group());
      if (r.hit()) {
        out.add(new Outcome(r.similarity(), answerable, q.group().equals(r.response())));
      } else {
        out.add(new Outcome(Float.NaN, answerable, false));
        cache.store(namespace, q.text(), q.group(), Scope.EMPTY, r.lookupId()).join();
        cache.awaitSearchable();
        groupsInCache.add(q.group());
      }
      long now = System.nanoTime();
      if (now - lastReport > 5_000_000_000L || out.size() == stream.queries().size()) {
        System.err.printf(Locale.ROOT, "  %s, misses stored, threshold %.3f: %d / %d (%.0f/s)%n", namespace, threshold,
            out.size(), stream.queries().size(), out.size() / ((now - start) / 1e9));
        lastReport = now;
      }
    }
    return out;
  }

  /**
   * GPTCache's procedure on its own fixture: every {@code origin} is stored with its row number as the
   * answer, then every {@code similar} is looked up; a hit is correct when it serves its own row's answer.
   */
  GptcacheOutcomes gptcache(String namespace, List<MockPair> rows) {
    List<Integer> ids = java.util.stream.IntStream.range(0, rows.size()).boxed().toList();
    inWindows(ids, i -> cache.store(namespace, rows.get(i).origin(), Integer.toString(i), Scope.EMPTY, null),
        namespace + ": store origin");
    cache.awaitSearchable();
    List<Answer> answers = inWindows(ids, i -> lookup(namespace, rows.get(i).similar(), Scope.EMPTY),
        namespace + ": look up similar");
    List<Outcome> byRow = new ArrayList<>(rows.size());
    List<Outcome> byText = new ArrayList<>(rows.size());
    for (int i = 0; i < rows.size(); i++) {
      Answer a = answers.get(i);
      byRow.add(new Outcome(a.similarity(), true, Integer.toString(i).equals(a.response())));
      boolean sameOrigin = a.response() != null && rows.get(Integer.parseInt(a.response())).origin().equals(rows.get(i).origin());
      byText.add(new Outcome(a.similarity(), true, sameOrigin));
    }
    return new GptcacheOutcomes(byRow, byText);
  }

  /**
   * @param byRow GPTCache's rule: a hit is correct when it serves its own row's answer
   * @param byOriginText a hit is also correct when it serves another row whose origin is the same text
   *     (63 of the 999 rows share their origin text with another row: 28 texts appear more than once)
   */
  record GptcacheOutcomes(List<Outcome> byRow, List<Outcome> byOriginText) {}

  private CompletableFuture<Answer> lookup(String namespace, String prompt, Scope scope) {
    return cache.lookup(namespace, prompt, scope, 0.0).thenApply(a -> new Answer(a.similarity(), a.response()));
  }

  private static Scope scope(int pair) {
    return Scope.of(Map.of("pair", Integer.toString(pair)));
  }

  /** Runs {@code call} on every item, {@link CacheUnderTest#window()} at a time, in order; progress on stderr. */
  private <T, R> List<R> inWindows(List<T> items, Function<T, CompletableFuture<R>> call, String what) {
    List<R> out = new ArrayList<>(items.size());
    long start = System.nanoTime();
    long lastReport = start;
    int size = cache.window();
    for (int from = 0; from < items.size(); from += size) {
      List<CompletableFuture<R>> window = new ArrayList<>(size);
      for (T item : items.subList(from, Math.min(items.size(), from + size))) {
        window.add(call.apply(item));
      }
      window.forEach(f -> out.add(f.join()));
      long now = System.nanoTime();
      if (now - lastReport > 5_000_000_000L || out.size() == items.size()) {
        double s = (now - start) / 1e9;
        System.err.printf(Locale.ROOT, "  %s: %d / %d (%.0f/s)%n", what, out.size(), items.size(), out.size() / s);
        lastReport = now;
      }
    }
    return out;
  }
}
