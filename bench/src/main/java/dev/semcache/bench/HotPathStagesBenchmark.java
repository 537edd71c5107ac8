package dev.semcache.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.embedding.TokenizedText;
import dev.semcache.index.CacheStorage;
import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.Directories;
import dev.semcache.index.Entry;
import dev.semcache.index.Match;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.index.Namespaces;
import dev.semcache.index.StorageOptions;
import dev.semcache.server.cache.LookupRequest;
import dev.semcache.server.cache.LookupResult;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.http.LookupCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The lookup hot path taken apart: one benchmark per stage, each over the real part, plus the whole
 * lookup (an exact hit and a semantic hit) through {@link SemanticCache}, so that the stages can be
 * checked to add up ({@code ./semcache bench stages FILE.json} prints the table).
 *
 * <p>Fixture: a {@link CacheStorage} (built once in {@code semcache.bench.dir}, reopened by later forks) holding {@code entries} distinct sentences of
 * {@code ../shared/data} with their real embeddings (the {@link VectorCorpus}, so setup embeds nothing but
 * the queries), all in one namespace and one partition; the real ONNX model behind a {@link
 * ParallelEmbedder} with the server's defaults. Exact prompts are stored prompts verbatim; semantic prompts
 * are stored prompts lightly altered ({@link LoadPrompts#altered}), kept only if they are semantic hits at
 * the default threshold. Each benchmark cycles through its inputs.
 *
 * <p>Stages, in the order a lookup runs them:
 * <ul>
 *   <li>{@code parse}: a POST /v1/lookup body to a {@link LookupRequest} by the server's own
 *       {@link LookupCodec#read}: one streaming Jackson pass over the bytes (the strict tree reader only
 *       for a body that is not of the plain shape), the typed fields and the namespace check
 *       (authentication is left out);
 *   <li>{@code exactHit} / {@code exactAbsent}: {@link CacheStorage#probeExact}, the memory-only exact path
 *       the event loop runs, for a stored prompt and for an altered one (what a semantic lookup pays first);
 *   <li>{@code tokenize}: {@link ParallelEmbedder#tokenize};
 *   <li>{@code inference}: {@link ParallelEmbedder#submit} of a tokenized prompt, joined: the hand-off to a
 *       worker and one single-thread inference, as a lookup gets it;
 *   <li>{@code search}: {@link CacheStorage#findNearest} with k = 1 (HNSW candidates re-ranked from the stored
 *       vectors, which reads those entries from RocksDB);
 *   <li>{@code storeRead}: {@link CacheStorage#get} of the matched entry;
 *   <li>{@code serialiseSemantic} / {@code serialiseExact}: the lookup answer as the server writes it
 *       ({@link LookupCodec#write}).
 * </ul>
 * {@code lookupExactHit} is {@link SemanticCache#lookupWithoutIo} of a stored prompt (what the event loop
 * runs for an exact hit); {@code lookupSemanticHit} is {@code lookupWithoutIo} then {@link
 * SemanticCache#lookup(LookupRequest, long)} joined, as the server runs a semantic hit. Neither includes
 * parsing or serialising.
 *
 * <p>Setup also writes {@code stages-memory-ENTRIES.properties} into {@code semcache.bench.dir}: heap in
 * use after a full GC before and after the entries were stored, for the sizing report.
 *
 * <p>Run: {@code ./semcache bench HotPathStagesBenchmark -rf json -rff bench/results/stages.json} (about 7
 * minutes), then {@code ./semcache bench stages bench/results/stages.json}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 4)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class HotPathStagesBenchmark {
  static final String NAMESPACE = "bench";
  private static final int SEMANTIC_CANDIDATES = 64;
  private static final String BUILT_MARKER = "built";
  private static final String RESPONSE = "Here is a cached answer of ordinary length, standing in for what a"
      + " language model said the first time this was asked. It runs to a few sentences so that a hit returns"
      + " a realistic body rather than a single word. Entry ";

  /** Writes the request bodies only; the server's reading and writing are {@link LookupCodec}'s. */
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @Param({"10000"})
  public int entries;

  @Param({ModelSpec.DEFAULT})
  public String model;

  private Path dir;
  private CacheStorage storage;
  private ParallelEmbedder embedder;
  private SemanticCache cache;

  private List<String> exactPrompts;
  private List<String> semanticPrompts;
  private List<TokenizedText> semanticTokens;
  private List<float[]> semanticVectors;
  private List<String> matchedIds;
  private List<byte[]> bodies;
  private List<LookupResult> semanticAnswers;
  private List<LookupResult> exactAnswers;
  private int next;

  @Setup(Level.Trial)
  public void open() throws Exception {
    VectorCorpus corpus = VectorCorpus.load(model);
    List<String> sentences = corpus.sentences();
    if (sentences.size() < entries) {
      throw new IllegalArgumentException("the corpus holds " + sentences.size() + " sentences; entries=" + entries);
    }
    exactPrompts = List.copyOf(sentences.subList(0, entries));
    embedder = ParallelEmbedder.open(ModelSpec.named(model), OnnxOptions.defaults(), ParallelOptions.defaults());
    // Storing the entries takes half a minute on two busy cores; every fork after the first reopens them.
    dir = Path.of(System.getProperty("semcache.bench.dir", "bench/target"), "stages-" + model + "-" + entries);
    boolean built = Files.isRegularFile(dir.resolve(BUILT_MARKER));
    if (!built) {
      Directories.deleteRecursively(dir);
    }
    storage = EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), InstantSource.system());
    cache = new SemanticCache(storage, embedder, InstantSource.system());
    if (!built) {
      store(corpus);
    }
    System.err.printf("embedding %d altered prompts, keeping the semantic hits%n", SEMANTIC_CANDIDATES);
    double threshold = storage.config(NAMESPACE).threshold();
    semanticPrompts = new ArrayList<>();
    semanticTokens = new ArrayList<>();
    semanticVectors = new ArrayList<>();
    matchedIds = new ArrayList<>();
    bodies = new ArrayList<>();
    semanticAnswers = new ArrayList<>();
    int onSource = 0;
    for (int i = 0; i < SEMANTIC_CANDIDATES; i++) {
      String altered = LoadPrompts.altered(exactPrompts.get(i), i);
      TokenizedText tokens = embedder.tokenize(altered);
      float[] vector = embedder.submit(tokens).join();
      List<Match> nearest = storage.findNearest(NAMESPACE, dev.semcache.index.Scope.EMPTY, vector, 1);
      if (nearest.isEmpty() || nearest.get(0).similarity() < threshold
          || storage.findExact(NAMESPACE, dev.semcache.index.Scope.EMPTY, altered).isPresent()) {
        continue;
      }
      semanticPrompts.add(altered);
      semanticTokens.add(tokens);
      semanticVectors.add(vector);
      matchedIds.add(nearest.get(0).entry().id());
      bodies.add(lookupBody(altered));
      LookupResult r = cache.lookup(new LookupRequest(NAMESPACE, altered, dev.semcache.index.Scope.EMPTY, null)).join();
      if (r.kind() != LookupResult.Kind.SEMANTIC) {
        throw new IllegalStateException("expected a semantic hit for '" + altered + "'; got " + r.kind());
      }
      semanticAnswers.add(r);
      if (r.entry().prompt().equals(exactPrompts.get(i))) {
        onSource++;
      }
    }
    if (semanticPrompts.size() < SEMANTIC_CANDIDATES / 2) {
      throw new IllegalStateException("only " + semanticPrompts.size() + " of " + SEMANTIC_CANDIDATES
          + " altered prompts are semantic hits");
    }
    // A reopened store has its entries on disk: read each prompt used once, as traffic would, so that the
    // memory-only exact path finds them in the block cache.
    for (int i = 0; i < semanticPrompts.size(); i++) {
      storage.findExact(NAMESPACE, dev.semcache.index.Scope.EMPTY, exactPrompts.get(i));
      storage.findExact(NAMESPACE, dev.semcache.index.Scope.EMPTY, semanticPrompts.get(i));
    }
    long absentInMemory = semanticPrompts.stream().filter(p -> storage.probeExact(NAMESPACE,
        dev.semcache.index.Scope.EMPTY, p) instanceof CacheStorage.ExactProbe.Absent).count();
    System.err.printf("the memory-only exact path decides %d of %d absent prompts%n", absentInMemory,
        semanticPrompts.size());
    exactAnswers = new ArrayList<>();
    for (int i = 0; i < semanticPrompts.size(); i++) {
      LookupResult r = cache.lookupWithoutIo(exactRequest(i)).hit().orElseThrow(
          () -> new IllegalStateException("a stored prompt was not an exact hit in memory"));
      exactAnswers.add(r);
    }
    System.err.printf("%d of %d altered prompts are semantic hits, %d of them on the prompt they were made from%n",
        semanticPrompts.size(), SEMANTIC_CANDIDATES, onSource);
  }

  /** Stores the entries with their corpus vectors and writes the heap they took ({@link #writeMemory}). */
  private void store(VectorCorpus corpus) throws IOException {
    storage.createConfigIfAbsent(NAMESPACE, NamespaceConfig.defaults());
    long heapEmpty = heapAfterGc();
    System.err.printf("storing %d entries with their corpus embeddings into %s (once)%n", entries, dir);
    for (int i = 0; i < entries; i++) {
      storage.store(NAMESPACE, dev.semcache.index.Scope.EMPTY, exactPrompts.get(i), RESPONSE + i + ".",
          corpus.real.get(i), null, Map.of());
    }
    storage.refreshIndex();
    long heapFull = heapAfterGc();
    System.err.printf("heap after GC: %d MB empty, %d MB with %d entries%n", heapEmpty >> 20, heapFull >> 20, entries);
    writeMemory(heapEmpty, heapFull);
    Files.writeString(dir.resolve(BUILT_MARKER), Instant.now().toString());
  }

  @TearDown(Level.Trial)
  public void close() {
    embedder.close();
    storage.close();
  }

  private int nextIndex() {
    next = next + 1 == semanticPrompts.size() ? 0 : next + 1;
    return next;
  }

  private LookupRequest exactRequest(int i) {
    return new LookupRequest(NAMESPACE, exactPrompts.get(i), dev.semcache.index.Scope.EMPTY, null);
  }

  @Benchmark
  public LookupRequest parse() {
    return parseLookup(bodies.get(nextIndex()));
  }

  @Benchmark
  public CacheStorage.ExactProbe exactHit() {
    return storage.probeExact(NAMESPACE, dev.semcache.index.Scope.EMPTY, exactPrompts.get(nextIndex()));
  }

  @Benchmark
  public CacheStorage.ExactProbe exactAbsent() {
    return storage.probeExact(NAMESPACE, dev.semcache.index.Scope.EMPTY, semanticPrompts.get(nextIndex()));
  }

  @Benchmark
  public TokenizedText tokenize() {
    return embedder.tokenize(semanticPrompts.get(nextIndex()));
  }

  @Benchmark
  public float[] inference() {
    return embedder.submit(semanticTokens.get(nextIndex())).join();
  }

  @Benchmark
  public List<Match> search() {
    return storage.findNearest(NAMESPACE, dev.semcache.index.Scope.EMPTY, semanticVectors.get(nextIndex()), 1);
  }

  @Benchmark
  public Optional<Entry> storeRead() {
    return storage.get(NAMESPACE, matchedIds.get(nextIndex()));
  }

  @Benchmark
  public byte[] serialiseSemantic() {
    return lookupJson(semanticAnswers.get(nextIndex()));
  }

  @Benchmark
  public byte[] serialiseExact() {
    return lookupJson(exactAnswers.get(nextIndex()));
  }

  @Benchmark
  public SemanticCache.MemoryLookup lookupExactHit() {
    return cache.lookupWithoutIo(exactRequest(nextIndex()));
  }

  @Benchmark
  public LookupResult lookupSemanticHit() {
    LookupRequest request = new LookupRequest(NAMESPACE, semanticPrompts.get(nextIndex()),
        dev.semcache.index.Scope.EMPTY, null);
    SemanticCache.MemoryLookup m = cache.lookupWithoutIo(request);
    return cache.lookup(request, m.exactAbsentNanos()).join();
  }

  static byte[] lookupBody(String prompt) {
    try {
      return MAPPER.writeValueAsBytes(Map.of("namespace", NAMESPACE, "prompt", prompt));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A lookup body read as the server reads it ({@link LookupCodec#read}), without authentication. */
  static LookupRequest parseLookup(byte[] bytes) {
    return LookupCodec.read(bytes, ns -> { });
  }

  /** The lookup answer as the server writes it ({@link LookupCodec#write}). */
  static byte[] lookupJson(LookupResult r) {
    return LookupCodec.write(r, System.currentTimeMillis());
  }

  private static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  private void writeMemory(long heapEmpty, long heapFull) throws IOException {
    Properties p = new Properties();
    p.setProperty("entries", Integer.toString(entries));
    p.setProperty("model", model);
    p.setProperty("heap_empty_bytes", Long.toString(heapEmpty));
    p.setProperty("heap_with_entries_bytes", Long.toString(heapFull));
    p.setProperty("heap_bytes_per_entry", Long.toString(Math.max(0, heapFull - heapEmpty) / entries));
    p.setProperty("cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
    p.setProperty("java", System.getProperty("java.version"));
    p.setProperty("date", Instant.now().toString());
    Path f = Path.of(System.getProperty("semcache.bench.dir", "bench/target"), "stages-memory-" + entries + ".properties");
    Files.createDirectories(f.getParent());
    try (var w = Files.newBufferedWriter(f)) {
      p.store(w, "HotPathStagesBenchmark setup: heap in use after a full GC, before and after storing the entries");
    }
  }
}
