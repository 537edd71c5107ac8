package dev.semcache.bench;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxEmbedder;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.TokenizedText;
import java.util.List;
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
 * The raw model: tokenizing, one text per inference, and batches of 8 and 32 equal-length texts (no
 * padding: the best case for batching, and the baseline the parallel front is measured against).
 * Sample time gives p50/p99 per call; texts/s is the batch size over the mean (bench/README.md).
 *
 * <p>Run: {@code ./semcache bench 'EmbedBenchmark|ParallelEmbedderBenchmark' -rf json -rff target/embed.json}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class EmbedBenchmark {

  @Param({ModelSpec.DEFAULT})
  public String model;

  private OnnxEmbedder embedder;
  private List<TokenizedText> texts;
  private List<String> raw;
  private int next;

  @Setup(Level.Trial)
  public void open() {
    embedder = OnnxEmbedder.open(ModelSpec.named(model), OnnxOptions.defaults());
    texts = BenchTexts.equalLength(embedder::tokenize, 64);
    raw = BenchTexts.gptcacheSentences();
  }

  @TearDown(Level.Trial)
  public void close() {
    embedder.close();
  }

  private List<TokenizedText> nextBatch(int size) {
    int from = next;
    next = (next + size) % (texts.size() - size);
    return texts.subList(from, from + size);
  }

  @Benchmark
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  public TokenizedText tokenize() {
    next = (next + 1) % raw.size();
    return embedder.tokenize(raw.get(next));
  }

  @Benchmark
  public List<float[]> single() {
    return embedder.embedTokenized(nextBatch(1));
  }

  @Benchmark
  public List<float[]> batch8() {
    return embedder.runBatch(nextBatch(8));
  }

  @Benchmark
  public List<float[]> batch32() {
    return embedder.runBatch(nextBatch(32));
  }
}
