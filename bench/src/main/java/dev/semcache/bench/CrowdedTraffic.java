package dev.semcache.bench;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import dev.semcache.bench.AccuracyDatasets.MockPair;
import dev.semcache.server.cli.LabelledPairs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

/**
 * One dataset as a crowded cache: the entries stored in one namespace (each with the group whose
 * questions it answers right; distractors answer nobody's), the traffic that trains (warm-up: it teaches
 * the verified namespace, and chooses nothing for the static one) and the traffic that measures. A query
 * is answered right only by an entry of its own group; a query whose group has no entry should miss.
 * Every part is drawn from different rows of the data, seeded.
 */
record CrowdedTraffic(String dataset, List<Labelled> entries, List<Labelled> train, List<Labelled> measure) {

  /** The datasets of ../shared/data, each cut into entries, training traffic and measured traffic. */
  static List<CrowdedTraffic> all(List<String> datasets, Sizes n, long seed) throws IOException {
    Path data = SharedDatasets.dataDir();
    List<CrowdedTraffic> out = new ArrayList<>();
    for (String d : datasets) {
      out.add(switch (d) {
        case "paws" -> paws(AccuracyDatasets.paws(data), n.pawsPairs(), seed);
        case "banking77" -> banking(AccuracyDatasets.banking77(data, "train.csv"),
            AccuracyDatasets.banking77(data, "test.csv"), n, seed);
        case "clinc150" -> clinc(data, n, seed);
        case "gptcache" -> gptcache(AccuracyDatasets.gptcacheMock(data), seed);
        default -> throw new IllegalArgumentException("unknown dataset '" + d + "'; known: paws, banking77, clinc150, gptcache");
      });
    }
    return out;
  }

  /**
   * @param pawsPairs PAWS-Wiki pairs, half training and half measured (a seeded sample of the 8,000)
   * @param perIntentTrain training queries per intent (BANKING77 train, CLINC150 val)
   * @param perIntentMeasure measured queries per intent (the test splits)
   */
  record Sizes(int pawsPairs, int perIntentTrain, int perIntentMeasure) {
    static Sizes defaults() {
      return new Sizes(2000, 10, 15);
    }
  }

  /** PAWS: every pair's first sentence stored; the second asked; it should hit its own first sentence only if labelled same. */
  static CrowdedTraffic paws(List<LabelledPairs.Pair> all, int pairs, long seed) {
    List<LabelledPairs.Pair> sample = AccuracyDatasets.sample(all, pairs, seed);
    List<Labelled> entries = new ArrayList<>();
    List<Labelled> train = new ArrayList<>();
    List<Labelled> measure = new ArrayList<>();
    Set<String> stored = new LinkedHashSet<>();
    for (int i = 0; i < sample.size(); i++) {
      LabelledPairs.Pair p = sample.get(i);
      if (stored.add(p.a())) {
        entries.add(new Labelled(p.a(), "a:" + p.a()));
      }
      Labelled q = new Labelled(p.b(), p.same() ? "a:" + p.a() : "different:" + i);
      (i % 2 == 0 ? train : measure).add(q);
    }
    return new CrowdedTraffic("paws", entries, train, measure);
  }

  /** GPTCache's fixture: every origin stored; a similar should hit its own origin's text. 2 of 5 rows train. */
  static CrowdedTraffic gptcache(List<MockPair> rows, long seed) {
    List<Labelled> entries = new ArrayList<>();
    Set<String> stored = new LinkedHashSet<>();
    List<Labelled> queries = new ArrayList<>();
    for (MockPair r : rows) {
      if (stored.add(r.origin())) {
        entries.add(new Labelled(r.origin(), r.origin()));
      }
      queries.add(new Labelled(r.similar(), r.origin()));
    }
    List<Labelled> shuffled = AccuracyDatasets.sample(queries, queries.size(), seed);
    int cut = shuffled.size() * 2 / 5;
    return new CrowdedTraffic("gptcache", entries, shuffled.subList(0, cut), shuffled.subList(cut, shuffled.size()));
  }

  /**
   * BANKING77: every 7th intent (alphabetical) is never stored, its queries should miss; each other
   * intent has its first two train.csv wordings stored. Training traffic: the next train.csv wordings;
   * measured: test.csv.
   */
  static CrowdedTraffic banking(List<Labelled> trainRows, List<Labelled> testRows, Sizes n, long seed) {
    List<String> intents = new ArrayList<>(new TreeSet<>(trainRows.stream().map(Labelled::group).toList()));
    Set<String> heldOut = new LinkedHashSet<>();
    for (int i = 6; i < intents.size(); i += 7) {
      heldOut.add(intents.get(i));
    }
    Map<String, Integer> seen = new LinkedHashMap<>();
    List<Labelled> entries = new ArrayList<>();
    List<Labelled> train = new ArrayList<>();
    for (Labelled l : trainRows) {
      int k = seen.merge(l.group(), 1, Integer::sum);
      if (!heldOut.contains(l.group()) && k <= 2) {
        entries.add(l);
      } else if (k > 2 && k <= 2 + n.perIntentTrain()) {
        train.add(l);
      }
    }
    List<Labelled> measure = AccuracyTraffic.firstPerGroup(testRows, n.perIntentMeasure());
    return new CrowdedTraffic("banking77", entries, shuffle(train, seed), shuffle(measure, seed + 1));
  }

  /**
   * CLINC150: each intent's first train wording stored, plus 100 out-of-scope train queries stored as
   * distractors (each answers only itself). Training traffic: val (in scope and out of scope); measured:
   * test (out-of-scope test queries should miss).
   */
  static CrowdedTraffic clinc(Path data, Sizes n, long seed) throws IOException {
    List<Labelled> entries = new ArrayList<>(AccuracyTraffic.firstPerGroup(AccuracyDatasets.clinc150(data, "train"), 1));
    AccuracyDatasets.sample(AccuracyDatasets.clinc150(data, "oos_train"), 100, seed).forEach(l ->
        entries.add(new Labelled(l.text(), "oos: " + l.text())));
    List<Labelled> train = new ArrayList<>(AccuracyTraffic.firstPerGroup(AccuracyDatasets.clinc150(data, "val"),
        n.perIntentTrain()));
    AccuracyDatasets.clinc150(data, "oos_val").stream().limit(100)
        .forEach(l -> train.add(new Labelled(l.text(), "oos: " + l.text())));
    List<Labelled> measure = new ArrayList<>(AccuracyTraffic.firstPerGroup(AccuracyDatasets.clinc150(data, "test"),
        n.perIntentMeasure()));
    AccuracyDatasets.sample(AccuracyDatasets.clinc150(data, "oos_test"), 300, seed)
        .forEach(l -> measure.add(new Labelled(l.text(), "oos: " + l.text())));
    return new CrowdedTraffic("clinc150", entries, shuffle(train, seed), shuffle(measure, seed + 1));
  }

  private static List<Labelled> shuffle(List<Labelled> l, long seed) {
    List<Labelled> copy = new ArrayList<>(l);
    java.util.Collections.shuffle(copy, new Random(seed));
    return copy;
  }
}
