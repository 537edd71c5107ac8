package dev.semcache.bench;

import dev.semcache.bench.AccuracyDatasets.Labelled;
import dev.semcache.server.cli.LabelledPairs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The labelled (query, matched prompt) pairs the second-stage judge is fitted on: the training parts of
 * the shared data only, never what the crowded-cache benchmark measures.
 *
 * <ul>
 *   <li><b>PAWS-Wiki</b> (dev.tsv is all there is): a seeded sample of the pairs that share no sentence
 *       with the pairs {@code bench crowded} measures at its default sizes and seed ({@link
 *       CrowdedTraffic#paws}; its measured half is the odd positions of its sample).</li>
 *   <li><b>BANKING77</b> train.csv only (the benchmark measures test.csv): the crowded layout (two stored
 *       wordings per intent, every 7th intent never stored), queried with further train.csv wordings;
 *       each query paired with its two nearest stored prompts (by the first model), right if same intent.</li>
 *   <li><b>CLINC150</b> train, val, oos_train and oos_val only (the benchmark measures test and
 *       oos_test): one stored train wording per intent plus out-of-scope distractors, queried with later
 *       train wordings and out-of-scope val queries, paired the same way.</li>
 *   <li>GPTCache's fixture is not used: it is all positives, and the benchmark measures most of it.</li>
 * </ul>
 *
 * @param dataset where it came from
 * @param query the asked text
 * @param matched the stored text it is paired with
 * @param same whether the stored answer is right for the query
 */
record JudgePairs(String dataset, String query, String matched, boolean same) {

  /** Which rows and how many. */
  record Sizes(int pawsPairs, int bankingPerIntent, int clincPerIntent, int crowdedPawsPairs, long crowdedSeed) {
    static Sizes defaults() {
      CrowdedTraffic.Sizes c = CrowdedTraffic.Sizes.defaults();
      return new Sizes(3000, 15, 8, c.pawsPairs(), 6);
    }
  }

  /** The PAWS pairs that share no sentence with the crowded benchmark's measured PAWS pairs. */
  static List<LabelledPairs.Pair> pawsTraining(List<LabelledPairs.Pair> all, Sizes n) {
    List<LabelledPairs.Pair> crowded = AccuracyDatasets.sample(all, n.crowdedPawsPairs(), n.crowdedSeed());
    Set<String> measured = new HashSet<>();
    for (int i = 1; i < crowded.size(); i += 2) {
      measured.add(crowded.get(i).a());
      measured.add(crowded.get(i).b());
    }
    List<LabelledPairs.Pair> eligible = all.stream()
        .filter(p -> !measured.contains(p.a()) && !measured.contains(p.b())).toList();
    return AccuracyDatasets.sample(eligible, n.pawsPairs(), n.crowdedSeed() + 101);
  }

  /** A stored set and the queries that will be paired with their nearest stored prompts. */
  record Neighbourhood(String dataset, List<Labelled> stored, List<Labelled> queries) {}

  static Neighbourhood banking(Path data, Sizes n) throws IOException {
    List<Labelled> rows = AccuracyDatasets.banking77(data, "train.csv");
    List<String> intents = rows.stream().map(Labelled::group).distinct().sorted().toList();
    Set<String> heldOut = new HashSet<>();
    for (int i = 6; i < intents.size(); i += 7) {
      heldOut.add(intents.get(i));
    }
    Map<String, Integer> seen = new LinkedHashMap<>();
    List<Labelled> stored = new ArrayList<>();
    List<Labelled> queries = new ArrayList<>();
    for (Labelled l : rows) {
      int k = seen.merge(l.group(), 1, Integer::sum);
      if (!heldOut.contains(l.group()) && k <= 2) {
        stored.add(l);
      } else if (k > 2 && k <= 2 + n.bankingPerIntent()) {
        queries.add(l);
      }
    }
    return new Neighbourhood("banking77 train.csv", stored, queries);
  }

  static Neighbourhood clinc(Path data, Sizes n) throws IOException {
    List<Labelled> train = AccuracyDatasets.clinc150(data, "train");
    List<Labelled> stored = new ArrayList<>(AccuracyTraffic.firstPerGroup(train, 1));
    List<Labelled> oosTrain = AccuracyDatasets.clinc150(data, "oos_train");
    oosTrain.stream().limit(100).forEach(l -> stored.add(new Labelled(l.text(), "oos: " + l.text())));
    Set<String> storedTexts = new HashSet<>(stored.stream().map(Labelled::text).toList());
    List<Labelled> queries = new ArrayList<>();
    AccuracyTraffic.firstPerGroup(train, 1 + n.clincPerIntent()).stream()
        .filter(l -> !storedTexts.contains(l.text())).forEach(queries::add);
    AccuracyDatasets.clinc150(data, "oos_val").stream().limit(150)
        .forEach(l -> queries.add(new Labelled(l.text(), "oos: " + l.text())));
    return new Neighbourhood("clinc150 train+val+oos_train+oos_val", stored, queries);
  }
}
