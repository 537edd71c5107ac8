package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Readers for the labelled public datasets in ../shared/data (see its README for sources and licences).
 * Here: every distinct sentence of all four, as raw material for real embeddings.
 */
final class SharedDatasets {
  private SharedDatasets() {}

  static Path dataDir() {
    Path p = BenchTexts.sharedDir().resolve("data");
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException(p.toAbsolutePath() + " not found; run from the repository root with ../shared"
          + " beside it, or pass -Dsemcache.shared.dir=DIR");
    }
    return p;
  }

  /** Distinct sentences of BANKING77, CLINC150 (with out-of-scope), PAWS-Wiki dev and GPTCache's mock data. */
  static List<String> allSentences() {
    LinkedHashSet<String> out = new LinkedHashSet<>();
    Path d = dataDir();
    try {
      CsvMapper csv = new CsvMapper();
      for (String f : List.of("banking77/train.csv", "banking77/test.csv")) {
        try (MappingIterator<Map<String, String>> it = csv.readerFor(Map.class)
            .with(CsvSchema.emptySchema().withHeader()).readValues(d.resolve(f).toFile())) {
          while (it.hasNext()) {
            out.add(it.next().get("text").trim());
          }
        }
      }
      JsonNode clinc = new ObjectMapper().readTree(d.resolve("clinc150_oos/data_full.json").toFile());
      clinc.fields().forEachRemaining(split -> split.getValue().forEach(row -> out.add(row.get(0).asText().trim())));
      for (String line : Files.readAllLines(d.resolve("paws_wiki/dev.tsv"))) {
        String[] cols = line.split("\t");
        if (cols.length == 4 && !cols[0].equals("id")) {
          out.add(cols[1].trim());
          out.add(cols[2].trim());
        }
      }
      out.addAll(BenchTexts.gptcacheSentences());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.removeIf(String::isBlank);
    return new ArrayList<>(out);
  }
}
