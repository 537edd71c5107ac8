package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import dev.semcache.server.cli.LabelledPairs;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Readers for the labelled datasets of ../shared/data in the shapes the accuracy evaluator uses: pairs
 * (two texts and whether they mean the same) and labelled queries (a text and its group, e.g. an intent).
 * Sources and licences: ../shared/data/README.md and each folder's SOURCE.txt.
 */
final class AccuracyDatasets {
  private AccuracyDatasets() {}

  /** A query and the group whose answer is right for it (an intent; for a never-seen query, itself). */
  record Labelled(String text, String group) {}

  /** GPTCache's fixture row: cache {@code origin}, ask with {@code similar}. */
  record MockPair(String origin, String similar) {}

  /**
   * A generic pairs file (TSV: text_a, text_b, label, or PAWS's id, sentence1, sentence2, label; or JSONL),
   * read by the same reader as {@code semcache calibrate}.
   */
  static List<LabelledPairs.Pair> pairs(Path file) throws IOException {
    return LabelledPairs.read(file, null).pairs();
  }

  /** PAWS-Wiki dev.tsv (no header; id, sentence1, sentence2, label). */
  static List<LabelledPairs.Pair> paws(Path dataDir) throws IOException {
    return LabelledPairs.read(dataDir.resolve("paws_wiki/dev.tsv"), "tsv").pairs();
  }

  /** A BANKING77 CSV (header text,category), e.g. {@code test.csv}. */
  static List<Labelled> banking77(Path dataDir, String file) throws IOException {
    List<Labelled> out = new ArrayList<>();
    try (MappingIterator<Map<String, String>> it = new CsvMapper().readerFor(Map.class)
        .with(CsvSchema.emptySchema().withHeader()).readValues(dataDir.resolve("banking77").resolve(file).toFile())) {
      while (it.hasNext()) {
        Map<String, String> row = it.next();
        out.add(new Labelled(row.get("text").strip(), row.get("category").strip()));
      }
    }
    return out;
  }

  /** One split of CLINC150's data_full.json ({@code train}, {@code val}, {@code test}, {@code oos_test}...). */
  static List<Labelled> clinc150(Path dataDir, String split) throws IOException {
    JsonNode all = new ObjectMapper().readTree(dataDir.resolve("clinc150_oos/data_full.json").toFile());
    JsonNode rows = all.get(split);
    if (rows == null) {
      throw new IllegalArgumentException("CLINC150 has no split '" + split + "'");
    }
    List<Labelled> out = new ArrayList<>();
    rows.forEach(r -> out.add(new Labelled(r.get(0).asText().strip(), r.get(1).asText().strip())));
    return out;
  }

  /** GPTCache's mock_data.json: 999 origin/similar pairs, all positive. */
  static List<MockPair> gptcacheMock(Path dataDir) throws IOException {
    List<MockPair> out = new ArrayList<>();
    for (JsonNode row : new ObjectMapper().readTree(dataDir.resolve("gptcache_mock/mock_data.json").toFile())) {
      out.add(new MockPair(row.get("origin").asText(), row.get("similar").asText()));
    }
    return out;
  }

  /** {@code n} items drawn without replacement in a seeded order (all of them, shuffled, when n covers them). */
  static <T> List<T> sample(List<T> items, int n, long seed) {
    List<T> copy = new ArrayList<>(items);
    Collections.shuffle(copy, new Random(seed));
    return List.copyOf(copy.subList(0, Math.min(n, copy.size())));
  }
}
