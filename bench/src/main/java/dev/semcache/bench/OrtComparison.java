package dev.semcache.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxEmbedder;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.embedding.TokenizedText;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./semcache bench ort [--seconds S] [--warmup-s W] [--rounds R]}: semcache's embedder against the raw
 * ONNX Runtime throughput of the same model file outside the JVM, in one run. The baseline is the npm
 * package {@code onnxruntime-node} (its version pinned in {@code bench/ort-node/package-lock.json}, installed
 * here with {@code npm ci} on first use) running {@code bench/ort-node/ort-bench.js} over the same
 * tokenised sentences (one token length, no padding), with the same thread counts and session options:
 *
 * <ul>
 *   <li>{@code batch32}: one inference over 32 sequences on a two-thread session, back to back;
 *   <li>{@code single}: one sequence per inference on the two-thread session (a lone lookup);
 *   <li>{@code parallel}: the {@link ParallelEmbedder} front under 16 callers (its workers, one thread each)
 *       against as many node worker threads, each with its own one-thread session, running singles back to back.
 * </ul>
 *
 * Each pair runs JVM then node, {@code rounds} times alternately (the machine's load drifts); the table
 * gives texts/s and the JVM's share of node's. Results: {@code bench/results/ort-DATE.json}.
 */
final class OrtComparison {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CALLERS = 16;

  private OrtComparison() {}

  static void main(String[] args) throws Exception {
    double seconds = 8;
    double warmup = 3;
    int rounds = 2;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--seconds" -> seconds = Double.parseDouble(args[++i]);
        case "--warmup-s" -> warmup = Double.parseDouble(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--help" -> {
          System.out.println("usage: bench ort [--seconds S (8)] [--warmup-s W (3)] [--rounds R (2)]");
          return;
        }
        default -> throw new IllegalArgumentException("unknown option " + args[i] + "; see bench ort --help");
      }
    }
    Path nodeDir = Path.of(System.getProperty("semcache.bench.dir", "bench/target")).getParent().resolve("ort-node");
    npmCi(nodeDir);
    ModelSpec spec = ModelSpec.named(ModelSpec.DEFAULT);
    Path work = Files.createTempDirectory("semcache-ort");
    Path model = work.resolve(spec.name() + ".onnx");
    Files.write(model, OnnxEmbedder.modelFile(spec));
    OnnxOptions onnx = OnnxOptions.defaults();
    ParallelOptions parallel = ParallelOptions.defaults();
    Map<String, List<double[]>> results = new LinkedHashMap<>();
    try (OnnxEmbedder wide = OnnxEmbedder.open(spec, onnx);
        ParallelEmbedder front = ParallelEmbedder.open(spec, onnx, parallel)) {
      List<TokenizedText> texts = BenchTexts.equalLength(wide::tokenize, 64);
      System.err.printf("model %s, %d sequences of %d tokens, %d intra-op threads, %d workers, %d rounds of %.0f s%n",
          spec.name(), texts.size(), texts.get(0).length(), onnx.intraOpThreads(), parallel.workers(), rounds, seconds);
      for (int round = 1; round <= rounds; round++) {
        for (String mode : List.of("batch32", "single", "parallel")) {
          System.err.printf("round %d/%d: %s, JVM%n", round, rounds, mode);
          double jvm = switch (mode) {
            case "batch32" -> loop(warmup, seconds, 32, n -> wide.runBatch(texts.subList(n % (texts.size() - 32), n % (texts.size() - 32) + 32)));
            case "single" -> loop(warmup, seconds, 1, n -> wide.embedTokenized(List.of(texts.get(n % texts.size()))));
            default -> callers(front, texts, warmup, seconds);
          };
          System.err.printf("round %d/%d: %s, node%n", round, rounds, mode);
          ObjectNode config = JSON.createObjectNode()
              .put("model", model.toString())
              .put("mode", mode.equals("parallel") ? "parallel" : "batch")
              .put("threads", onnx.intraOpThreads())
              .put("workers", parallel.workers())
              .put("batch", mode.equals("batch32") ? 32 : 1)
              .put("warmupS", warmup)
              .put("seconds", seconds)
              .put("spinning", false);
          ArrayNode sequences = config.putArray("sequences");
          for (TokenizedText t : texts) {
            ObjectNode s = sequences.addObject();
            Arrays.stream(t.ids()).forEach(s.putArray("ids")::add);
            Arrays.stream(t.typeIds()).forEach(s.putArray("typeIds")::add);
          }
          JsonNode node = runNode(nodeDir, work, config);
          results.computeIfAbsent(mode, k -> new ArrayList<>()).add(new double[] {jvm, node.get("textsPerS").asDouble()});
          System.err.printf("  %s: JVM %.1f texts/s, node (onnxruntime-node %s) %.1f texts/s%n",
              mode, jvm, node.get("ortVersion").asText(), node.get("textsPerS").asDouble());
        }
      }
    } finally {
      try (var walk = Files.walk(work)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    System.out.println("| measurement | round | JVM texts/s | onnxruntime-node texts/s | JVM / node |");
    System.out.println("|---|---:|---:|---:|---:|");
    ObjectNode out = JSON.createObjectNode().put("date", LocalDate.now().toString()).put("model", spec.name());
    for (var e : results.entrySet()) {
      ArrayNode rows = out.putArray(e.getKey());
      for (int r = 0; r < e.getValue().size(); r++) {
        double[] v = e.getValue().get(r);
        System.out.printf("| %s | %d | %.1f | %.1f | %.2f |%n", e.getKey(), r + 1, v[0], v[1], v[0] / v[1]);
        rows.addObject().put("jvmTextsPerS", v[0]).put("nodeTextsPerS", v[1]);
      }
    }
    Path file = Path.of("bench/results", "ort-" + LocalDate.now() + ".json");
    Files.createDirectories(file.getParent());
    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), out);
    System.out.println("written " + file);
  }

  /** Texts/s of {@code call} (each embedding {@code perCall} texts) run back to back after a warm-up. */
  private static double loop(double warmupS, double seconds, int perCall, java.util.function.IntConsumer call) {
    int n = 0;
    long warmEnd = System.nanoTime() + (long) (warmupS * 1e9);
    while (System.nanoTime() < warmEnd) {
      call.accept(n++);
    }
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long calls = 0;
    while (System.nanoTime() < end) {
      call.accept(n++);
      calls++;
    }
    return calls * perCall / ((System.nanoTime() - start) / 1e9);
  }

  /** Texts/s of {@link #CALLERS} threads each submitting one text at a time to the front. */
  private static double callers(ParallelEmbedder front, List<TokenizedText> texts, double warmupS, double seconds)
      throws InterruptedException {
    AtomicInteger next = new AtomicInteger();
    AtomicLong done = new AtomicLong();
    long start = System.nanoTime() + (long) (warmupS * 1e9);
    long end = start + (long) (seconds * 1e9);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      threads.add(Thread.ofPlatform().start(() -> {
        while (System.nanoTime() < end) {
          front.submit(texts.get(Math.floorMod(next.getAndIncrement(), texts.size()))).join();
          long now = System.nanoTime();
          if (now >= start && now < end) {
            done.incrementAndGet();
          }
        }
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    return done.get() / seconds;
  }

  private static JsonNode runNode(Path nodeDir, Path work, ObjectNode config) throws IOException, InterruptedException {
    Path configFile = work.resolve("config.json");
    JSON.writeValue(configFile.toFile(), config);
    Process p = new ProcessBuilder("node", nodeDir.resolve("ort-bench.js").toString(), configFile.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT)
        .start();
    String output = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException("node ort-bench.js failed (exit " + p.exitValue() + "): " + output);
    }
    return JSON.readTree(output);
  }

  /** Installs onnxruntime-node from the lock file when node_modules is missing or older than the lock. */
  private static void npmCi(Path nodeDir) throws IOException, InterruptedException {
    Path installed = nodeDir.resolve("node_modules/.package-lock.json");
    Path lock = nodeDir.resolve("package-lock.json");
    if (Files.isRegularFile(installed)
        && Files.getLastModifiedTime(installed).compareTo(Files.getLastModifiedTime(lock)) >= 0) {
      return;
    }
    System.err.println("installing onnxruntime-node into " + nodeDir + " (npm ci, once)");
    Process p = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund")
        .directory(nodeDir.toFile()).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IllegalStateException("npm ci in " + nodeDir + " failed (exit " + p.exitValue()
          + "); Node.js 18+ and npm are needed for bench ort");
    }
  }
}
