package dev.semcache.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A labelled pairs file: two texts and whether they mean the same (1) or not (0).
 *
 * <ul>
 *   <li><b>TSV</b>: columns {@code text_a, text_b, label}, or {@code id, text_a, text_b, label} (PAWS's
 *       layout); a first row whose label is not 0 or 1 is a header, and a header may name the columns
 *       ({@code text_a}/{@code sentence1}, {@code text_b}/{@code sentence2}, {@code label}) in any order.
 *   <li><b>JSONL</b>: one object per line with {@code text_a}, {@code text_b} and {@code label} (0/1 or
 *       true/false).
 * </ul>
 */
public record LabelledPairs(List<Pair> pairs) {
  public record Pair(String a, String b, boolean same) {}

  public static LabelledPairs read(Path file, String format) throws IOException {
    String f = format != null ? format.toLowerCase(Locale.ROOT)
        : file.toString().endsWith(".jsonl") || file.toString().endsWith(".json") ? "jsonl" : "tsv";
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    return switch (f) {
      case "tsv" -> tsv(file, lines);
      case "jsonl" -> jsonl(file, lines);
      default -> throw new IllegalArgumentException("--format must be tsv or jsonl; format=" + format);
    };
  }

  private static LabelledPairs tsv(Path file, List<String> lines) {
    List<Pair> out = new ArrayList<>();
    int a = -1;
    int b = -1;
    int label = -1;
    for (int n = 0; n < lines.size(); n++) {
      String line = lines.get(n);
      if (line.isBlank()) {
        continue;
      }
      String[] cols = line.split("\t", -1);
      if (a < 0) {
        List<String> names = List.of(cols).stream().map(c -> c.strip().toLowerCase(Locale.ROOT)).toList();
        if (label(cols[cols.length - 1]) == null) { // a header
          a = index(names, "text_a", "sentence1");
          b = index(names, "text_b", "sentence2");
          label = index(names, "label");
          if (a < 0 || b < 0 || label < 0) {
            a = cols.length == 4 ? 1 : 0;
            b = a + 1;
            label = cols.length - 1;
          }
          continue;
        }
        if (cols.length != 3 && cols.length != 4) {
          throw bad(file, n, "expected 3 columns (text_a, text_b, label) or 4 (id, text_a, text_b, label); got "
              + cols.length);
        }
        a = cols.length == 4 ? 1 : 0;
        b = a + 1;
        label = cols.length - 1;
      }
      if (cols.length <= Math.max(a, Math.max(b, label))) {
        throw bad(file, n, "expected at least " + (Math.max(a, Math.max(b, label)) + 1) + " columns; got " + cols.length);
      }
      Boolean same = label(cols[label]);
      if (same == null) {
        throw bad(file, n, "label must be 0 or 1; label='" + cols[label] + "'");
      }
      out.add(new Pair(cols[a].strip(), cols[b].strip(), same));
    }
    return checked(file, out);
  }

  private static LabelledPairs jsonl(Path file, List<String> lines) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Pair> out = new ArrayList<>();
    for (int n = 0; n < lines.size(); n++) {
      if (lines.get(n).isBlank()) {
        continue;
      }
      JsonNode row = json.readTree(lines.get(n));
      JsonNode a = row.get("text_a");
      JsonNode b = row.get("text_b");
      JsonNode l = row.get("label");
      if (a == null || !a.isTextual() || b == null || !b.isTextual() || l == null) {
        throw bad(file, n, "each line needs text_a and text_b (strings) and label (0/1 or true/false)");
      }
      Boolean same = l.isBoolean() ? Boolean.valueOf(l.asBoolean()) : label(l.asText());
      if (same == null) {
        throw bad(file, n, "label must be 0, 1, true or false; label=" + l);
      }
      out.add(new Pair(a.asText().strip(), b.asText().strip(), same));
    }
    return checked(file, out);
  }

  private static LabelledPairs checked(Path file, List<Pair> pairs) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no pairs");
    }
    if (pairs.stream().noneMatch(Pair::same) || pairs.stream().allMatch(Pair::same)) {
      throw new IllegalArgumentException(file + " needs pairs of both labels: the hit rate comes from the 1s, the"
          + " false-hit rate from the 0s");
    }
    return new LabelledPairs(List.copyOf(pairs));
  }

  private static Boolean label(String s) {
    return switch (s.strip()) {
      case "1" -> true;
      case "0" -> false;
      default -> null;
    };
  }

  private static int index(List<String> names, String... candidates) {
    for (String c : candidates) {
      int i = names.indexOf(c);
      if (i >= 0) {
        return i;
      }
    }
    return -1;
  }

  private static IllegalArgumentException bad(Path file, int line, String why) {
    return new IllegalArgumentException(file + " line " + (line + 1) + ": " + why);
  }
}
