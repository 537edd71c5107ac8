package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.semcache.bench.SizingFigures.Figure;
import dev.semcache.bench.SizingFigures.SearchCurve;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.index.StorageOptions;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads the figures of {@link SizingFigures} from the newest result files in {@code bench/results/}, and
 * measures what no file holds (saying so on stderr and in the figure's source):
 * <ul>
 *   <li>{@code load-DATE.json} ({@code ./semcache bench load}): the machine's cores, exact hits/s and
 *       misses/s over HTTP (the best connection count of each);
 *   <li>{@code index-*.json} ({@link IndexSearchBenchmark}, float, 32 candidates) and {@code stages-DATE.json}
 *       ({@link HotPathStagesBenchmark}): search by partition size, plus reading the match;
 *   <li>{@code stages-memory-DATE.properties} (written by the stages benchmark's setup): heap fixed and
 *       per entry;
 *   <li>{@code storage-DATE.properties} ({@code ./semcache bench storage}): stores/s and bytes per entry on
 *       disk; measured now over 5,000 entries if there is none;
 *   <li>the native memory of the model's two ONNX Runtime sessions: measured now (the process's resident
 *       memory before and after opening them and embedding a few texts).
 * </ul>
 */
final class MeasuredFigures {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern STAGES = Pattern.compile("stages-\\d{4}-\\d{2}-\\d{2}(-\\d+)?\\.json");
  private static final Pattern STAGES_MEMORY = Pattern.compile("stages-memory-.*\\.properties");
  private static final Pattern LOAD = Pattern.compile("load-.*\\.json");
  private static final Pattern INDEX = Pattern.compile("index-.*\\.json");
  private static final Pattern STORAGE = Pattern.compile("storage-.*\\.properties");
  /** A miss remembers its embedding, prompt, scope, key and a Caffeine node: 4 bytes a dimension + about 300. */
  private static final int PENDING_OVERHEAD_BYTES = 316;
  /** A remembered lookup: a record with namespace, lookup id and prompt strings, kinds and times. */
  private static final int REMEMBERED_LOOKUP_BYTES = 350;
  private static final int STORAGE_MEASURE_ENTRIES = 5_000;

  private MeasuredFigures() {}

  static SizingFigures read(Path results, String model) throws Exception {
    List<String> machines = new ArrayList<>();

    Path loadFile = newest(results, LOAD, f -> model.equals(json(f).path("model").asText()))
        .orElseThrow(() -> missing(results, "load-*.json for model " + model, "./semcache bench load"));
    JsonNode load = json(loadFile);
    int cores = load.path("machine").path("cores").asInt();
    machines.add(String.format("%s: %d cores, %s, Java %s, %s", loadFile.getFileName(), cores,
        load.path("machine").path("os").asText(), load.path("machine").path("java").asText(), load.path("date").asText()));
    double exactRps = best(load, "exact");
    double missRps = best(load, "miss");
    String loadSource = loadFile.getFileName().toString();
    Figure exact = new Figure(cores / exactRps, "s",
        String.format("%s: %d cores / %,.0f exact hits/s", loadSource, cores, exactRps));
    Figure embedded = new Figure(cores / missRps, "s",
        String.format("%s: %d cores / %,.1f misses/s", loadSource, cores, missRps));

    Path stagesFile = newest(results, STAGES, f -> model.equals(stageParam(f, "model")))
        .orElseThrow(() -> missing(results, "stages-DATE.json for model " + model,
            "./semcache bench HotPathStagesBenchmark -rf json -rff bench/results/stages-DATE.json"));
    var stages = StageTable.read(stagesFile.toFile());
    int stageEntries = Integer.parseInt(stageParam(stagesFile, "entries"));
    SearchCurve search = searchCurve(results, stages, stageEntries, stagesFile.getFileName().toString());
    for (Path f : list(results, INDEX)) {
      JsonNode first = json(f).path(0);
      machines.add(String.format("%s: JMH %s, JDK %s (JMH files hold no core count or date: see bench/README.md)",
          f.getFileName(), first.path("jmhVersion").asText(), first.path("jdkVersion").asText()));
    }

    Path memoryFile = newest(results, STAGES_MEMORY, f -> model.equals(properties(f).getProperty("model")))
        .orElseThrow(() -> missing(results, "stages-memory-*.properties", "the stages benchmark (its setup writes"
            + " bench/target/stages-memory-ENTRIES.properties when it builds its store; copy it into bench/results)"));
    Properties memory = properties(memoryFile);
    machines.add(String.format("%s and %s: %s cores, Java %s, %s", stagesFile.getFileName(), memoryFile.getFileName(),
        memory.getProperty("cores"), memory.getProperty("java"), memory.getProperty("date")));
    String memorySource = memoryFile.getFileName().toString();
    Figure heapFixed = new Figure(Double.parseDouble(memory.getProperty("heap_empty_bytes")), "B",
        memorySource + ": heap after GC, model and empty storage open");
    Figure heapPerEntry = new Figure(Double.parseDouble(memory.getProperty("heap_bytes_per_entry")), "B",
        memorySource + ": heap after GC with " + memory.getProperty("entries") + " entries, less empty, per entry");

    Map<String, String> storage = new HashMap<>();
    String storageSource;
    Optional<Path> storageFile = newest(results, STORAGE, f -> true);
    if (storageFile.isPresent()) {
      properties(storageFile.get()).forEach((k, v) -> storage.put(k.toString(), v.toString()));
      storageSource = storageFile.get().getFileName().toString();
    } else {
      System.err.printf("no storage-*.properties in %s: measuring the storage now over %,d entries%n", results,
          STORAGE_MEASURE_ENTRIES);
      storage.putAll(StorageBench.measure(STORAGE_MEASURE_ENTRIES));
      storageSource = "measured now (" + STORAGE_MEASURE_ENTRIES + " entries)";
    }
    machines.add(String.format("%s: %s cores, Java %s, %s", storageSource, storage.get("cores"),
        storage.get("java"), storage.get("date")));
    double storeBytes = Double.parseDouble(storage.get("store_bytes_per_entry"));
    double indexBytes = Double.parseDouble(storage.get("index_bytes_per_entry"));
    Figure store = new Figure(1 / Double.parseDouble(storage.get("stores_per_s")), "s",
        storageSource + ": 1 / " + storage.get("stores_per_s") + " stores/s");
    Figure disk = new Figure(storeBytes + indexBytes, "B",
        String.format("%s: %.0f RocksDB + %.0f Lucene", storageSource, storeBytes, indexBytes));
    Figure payload = new Figure(Double.parseDouble(storage.get("payload_bytes_per_entry")), "B",
        storageSource + ": prompt + response bytes of its entries");
    Figure index = new Figure(indexBytes, "B", storageSource + ": Lucene bytes per entry");

    ModelSpec spec = ModelSpec.named(model);
    Figure pending = new Figure(4.0 * spec.dimension() + PENDING_OVERHEAD_BYTES, "B",
        "estimate: 4 B x " + spec.dimension() + " dims + ~" + PENDING_OVERHEAD_BYTES + " (prompt, key, record, cache node)");
    Figure remembered = new Figure(REMEMBERED_LOOKUP_BYTES, "B",
        "estimate: a record with its id, namespace and prompt strings");
    Figure blockCache = new Figure(StorageOptions.defaults().blockCacheBytes(), "B", "StorageOptions.defaults()");
    Figure modelMemory = new Figure(modelResidentBytes(spec), "B",
        "measured now: resident memory after opening the model's two sessions and embedding 16 texts, less before");
    machines.add(String.format("measured now: %d cores, Java %s", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version")));
    return new SizingFigures(exact, embedded, search, store, heapFixed, heapPerEntry, pending, remembered, disk, payload,
        index, blockCache, modelMemory, String.join("\n", machines));
  }

  /**
   * Search by partition size: the index benchmark's mean k-NN search (float, 32 candidates; the costlier of
   * "the whole corpus in one partition" and "half of it in one partition" where both were measured) plus
   * the stages' mean read of the matched entry ({@code storeRead}), which {@code findNearest} adds. The
   * stages' own {@code search} at their corpus size is quoted beside it as a cross-check: it was measured on
   * a busier machine (see bench/README.md), so it is not the figure used.
   */
  private static SearchCurve searchCurve(Path results, Map<String, StageTable.Stage> stages, int stageEntries,
      String stagesSource) throws IOException {
    TreeMap<Integer, Double> indexMeans = new TreeMap<>();
    List<String> files = new ArrayList<>();
    for (Path f : list(results, INDEX)) {
      for (JsonNode r : json(f)) {
        JsonNode p = r.path("params");
        String target = p.path("target").asText();
        if (r.path("benchmark").asText().endsWith("IndexSearchBenchmark.search") && p.path("format").asText().equals("FLOAT")
            && (target.equals("all") || target.equals("large")) && p.path("candidates").asText().equals("32")) {
          indexMeans.merge(p.path("size").asInt(), r.path("primaryMetric").path("score").asDouble(), Math::max);
          if (!files.contains(f.getFileName().toString())) {
            files.add(f.getFileName().toString());
          }
        }
      }
    }
    if (indexMeans.isEmpty()) {
      throw missing(results, "index-*.json with float searches at 32 candidates",
          "./semcache bench IndexSearchBenchmark -rf json -rff bench/results/index-DATE.json");
    }
    double read = stages.get("storeRead").mean();
    List<SearchCurve.Point> points = new ArrayList<>();
    StringBuilder means = new StringBuilder();
    for (var e : indexMeans.entrySet()) {
      points.add(new SearchCurve.Point(e.getKey(), (e.getValue() + read) / 1e6));
      means.append(means.isEmpty() ? "" : ", ").append(String.format("%,d: %.0f µs", e.getKey(), e.getValue()));
    }
    return new SearchCurve(points, String.format("%s (float, 32 candidates, costlier of one partition holding all or"
            + " half: %s) + %s storeRead mean %.1f µs; cross-check: %s search mean at %,d entries %.0f µs",
        String.join(" + ", files), means, stagesSource, read, stagesSource, stageEntries, stages.get("search").mean()));
  }

  private static long modelResidentBytes(ModelSpec spec) throws IOException {
    long before = residentBytes();
    try (ParallelEmbedder e = ParallelEmbedder.open(spec, OnnxOptions.defaults(), ParallelOptions.defaults())) {
      List<String> texts = BenchTexts.gptcacheSentences();
      e.embedAll(texts.subList(0, Math.min(16, texts.size())));
      return Math.max(0, residentBytes() - before);
    }
  }

  private static long residentBytes() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IOException("/proc/self/status has no VmRSS line");
  }

  private static double best(JsonNode load, String scenario) {
    double best = 0;
    for (JsonNode run : load.path("runs")) {
      if (run.path("scenario").asText().equals(scenario)) {
        best = Math.max(best, run.path("requests_per_s").asDouble());
      }
    }
    if (best <= 0) {
      throw new IllegalArgumentException("the load result has no '" + scenario + "' run");
    }
    return best;
  }

  private static String stageParam(Path f, String name) {
    for (JsonNode r : json(f)) {
      if (r.path("benchmark").asText().endsWith("HotPathStagesBenchmark.search")) {
        return r.path("params").path(name).asText();
      }
    }
    return "";
  }

  private static Optional<Path> newest(Path dir, Pattern name, java.util.function.Predicate<Path> accept)
      throws IOException {
    List<Path> files = list(dir, name);
    for (int i = files.size() - 1; i >= 0; i--) {
      if (accept.test(files.get(i))) {
        return Optional.of(files.get(i));
      }
    }
    return Optional.empty();
  }

  /**
   * Files whose names match, oldest first: in order of their names without the extension, so that a
   * second run of a day ({@code stages-2026-11-23-2.json}) comes after the first ({@code
   * stages-2026-11-23.json}).
   */
  private static List<Path> list(Path dir, Pattern name) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> name.matcher(p.getFileName().toString()).matches())
          .sorted(java.util.Comparator.comparing(p -> {
            String n = p.getFileName().toString();
            int dot = n.lastIndexOf('.');
            return dot < 0 ? n : n.substring(0, dot);
          }))
          .toList();
    }
  }

  private static JsonNode json(Path f) {
    try {
      return JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static Properties properties(Path f) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(f)) {
      p.load(r);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return p;
  }

  private static IllegalStateException missing(Path dir, String what, String how) {
    return new IllegalStateException("no " + what + " in " + dir.toAbsolutePath() + "; make it with " + how);
  }
}
