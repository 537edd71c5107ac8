package dev.semcache.bench;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.embedding.TokenizedText;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The {@link ParallelEmbedder} front under 1, 4 and 16 concurrent callers, each embedding one text per
 * call (the same equal-length texts as {@link EmbedBenchmark}). Sample time gives each caller's p50/p99;
 * texts/s is callers over the mean. The goal: at 16 callers, at least 80% of {@code EmbedBenchmark.batch32}
 * texts/s in the same run.
 *
 * <p>Run: {@code ./semcache bench 'EmbedBenchmark|ParallelEmbedderBenchmark' -rf json -rff target/embed.json}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 3, time = 10)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
public class ParallelEmbedderBenchmark {

  @Param({ModelSpec.DEFAULT})
  public String model;

  private ParallelEmbedder front;
  private List<TokenizedText> texts;
  private final AtomicInteger next = new AtomicInteger();

  @Setup(Level.Trial)
  public void open() {
    front = ParallelEmbedder.open(ModelSpec.named(model), OnnxOptions.defaults(), ParallelOptions.defaults());
    texts = BenchTexts.equalLength(front::tokenize, 64);
  }

  @TearDown(Level.Trial)
  public void close() {
    front.close();
  }

  private float[] one() {
    return front.submit(texts.get(Math.floorMod(next.getAndIncrement(), texts.size()))).join();
  }

  @Benchmark
  @Threads(1)
  public float[] callers1() {
    return one();
  }

  @Benchmark
  @Threads(4)
  public float[] callers4() {
    return one();
  }

  @Benchmark
  @Threads(16)
  public float[] callers16() {
    return one();
  }
}
