package dev.semcache.bench;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import dev.semcache.bench.AccuracyDatasets.MockPair;
import dev.semcache.server.cli.LabelledPairs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The traffic of every dataset of an accuracy run, built once (seeded) and shared by all models: the
 * samples and streams that {@code ./semcache bench accuracy}'s options describe.
 */
record AccuracyTraffic(Map<String, List<LabelledPairs.Pair>> pairs, Map<String, QueryStream> streams,
    List<MockPair> gptcache) {

  static List<LabelledPairs.Pair> pawsSlice(Path dataDir, int n, long seed) throws IOException {
    List<LabelledPairs.Pair> all = AccuracyDatasets.paws(dataDir);
    return n == 0 ? all : AccuracyDatasets.sample(all, n, seed);
  }

  static AccuracyTraffic of(AccuracyBench.Options o, PrintStream log) throws IOException {
    Path data = SharedDatasets.dataDir();
    Map<String, List<LabelledPairs.Pair>> pairs = new LinkedHashMap<>();
    Map<String, QueryStream> streams = new LinkedHashMap<>();
    List<MockPair> gptcache = null;
    if (o.datasets().contains("paws")) {
      pairs.put("paws", pawsSlice(data, o.pawsPairs(), o.seed()));
    }
    if (o.pairsFile() != null) {
      pairs.put(o.pairsFile().getFileName().toString(), AccuracyDatasets.pairs(o.pairsFile()));
    }
    if (o.datasets().contains("banking77")) {
      List<Labelled> rows = firstPerGroup(AccuracyDatasets.banking77(data, "test.csv"), o.bankingPerIntent());
      List<String> intents = new ArrayList<>(new TreeSet<>(rows.stream().map(Labelled::group).toList()));
      Set<String> heldOut = new LinkedHashSet<>();
      for (int i = o.holdOutEvery() - 1; i < intents.size(); i += o.holdOutEvery()) {
        heldOut.add(intents.get(i));
      }
      List<Labelled> in = rows.stream().filter(r -> !heldOut.contains(r.group())).toList();
      List<Labelled> out = rows.stream().filter(r -> heldOut.contains(r.group())).toList();
      streams.put("banking77", stream(in, out, o));
      log.printf("banking77: test.csv, the first %d queries of each intent, %d intents stored, %d held out (%d queries"
          + " never seen)%n", o.bankingPerIntent(), intents.size() - heldOut.size(), heldOut.size(), out.size());
    }
    if (o.datasets().contains("clinc150")) {
      List<Labelled> in = firstPerGroup(AccuracyDatasets.clinc150(data, "test"), o.clincPerIntent());
      // "oos" is not a meaning: each out-of-scope query is a group of its own
      List<Labelled> oos = AccuracyDatasets.sample(AccuracyDatasets.clinc150(data, "oos_test"), o.clincOos(), o.seed())
          .stream().map(l -> new Labelled(l.text(), "oos: " + l.text())).toList();
      streams.put("clinc150", stream(in, oos, o));
      log.printf("clinc150: test split, %d intents x %d queries, %d out-of-scope%n",
          in.stream().map(Labelled::group).distinct().count(), o.clincPerIntent(), oos.size());
    }
    if (o.datasets().contains("gptcache")) {
      gptcache = AccuracyDatasets.gptcacheMock(data);
    }
    return new AccuracyTraffic(pairs, streams, gptcache);
  }

  /** The first {@code n} queries of each group, in the data's order. */
  static List<Labelled> firstPerGroup(List<Labelled> rows, int n) {
    Map<String, Integer> taken = new LinkedHashMap<>();
    List<Labelled> out = new ArrayList<>();
    for (Labelled l : rows) {
      if (taken.merge(l.group(), 1, Integer::sum) <= n) {
        out.add(l);
      }
    }
    return out;
  }

  /** As many draws as there are wordings to ask with (the other wordings plus the never-seen queries). */
  private static QueryStream stream(List<Labelled> in, List<Labelled> neverSeen, AccuracyBench.Options o) {
    long groups = in.stream().map(Labelled::group).distinct().count();
    int length = (int) (in.size() - groups + neverSeen.size());
    return QueryStream.zipf(in, neverSeen, length, o.zipf(), o.seed());
  }

}
