package dev.semcache.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import dev.semcache.embedding.Vectors;
import dev.semcache.index.PromptNormalizer;
import dev.semcache.server.cli.LabelledPairs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ./semcache bench accuracy} end to end on 12 PAWS-Wiki pairs with the real model and storage: its
 * counts at several thresholds equal a confusion matrix computed here from similarities obtained
 * independently (the same model called directly, no cache in between).
 */
class AccuracyEndToEndTest {
  @TempDir
  Path out;

  @Test
  void countsOnTwelvePawsPairsMatchAnIndependentConfusionMatrix() throws Exception {
    AccuracyBench.Options o = AccuracyBench.parse(new String[] {"--models", ModelSpec.DEFAULT, "--datasets", "paws",
        "--paws-pairs", "12", "--seed", "6", "--out-dir", out.toString()});
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    AccuracyBench.Results r = AccuracyBench.run(o, new PrintStream(stdout, true, StandardCharsets.UTF_8));
    assertThat(r.curves()).hasSize(1);
    AccuracyCurve curve = r.curves().get(0);

    List<LabelledPairs.Pair> pairs = AccuracyTraffic.pawsSlice(SharedDatasets.dataDir(), 12, 6);
    assertThat(pairs).hasSize(12);
    List<Double> similarities = new ArrayList<>();
    try (ParallelEmbedder e = ParallelEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(),
        ParallelOptions.defaults())) {
      for (LabelledPairs.Pair p : pairs) {
        boolean exact = PromptNormalizer.normalize(p.a()).equals(PromptNormalizer.normalize(p.b()));
        similarities.add(exact ? 1.0 : Vectors.dot(e.embed(p.a()), e.embed(p.b())));
      }
    }

    int checked = 0;
    for (double t : List.of(0.80, 0.85, 0.90, 0.93, 0.95, 0.97, 0.99)) {
      if (similarities.stream().anyMatch(s -> Math.abs(s - t) < 1e-4)) {
        continue; // too close to call across two float computations
      }
      long tp = 0;
      long fp = 0;
      long fn = 0;
      long tn = 0;
      for (int i = 0; i < pairs.size(); i++) {
        boolean hit = similarities.get(i) >= t;
        boolean same = pairs.get(i).same();
        if (hit && same) {
          tp++;
        } else if (hit) {
          fp++;
        } else if (same) {
          fn++;
        } else {
          tn++;
        }
      }
      Confusion c = curve.at(t);
      assertThat(new long[] {c.tp(), c.fp(), c.fn(), c.tn()}).as("threshold %s", t).containsExactly(tp, fp, fn, tn);
      if (tp + fp > 0) {
        assertThat(c.falseHitRate()).isCloseTo(fp / (double) (tp + fp), within(1e-12));
      }
      assertThat(c.recall()).isCloseTo(tp / (double) (tp + fn), within(1e-12));
      checked++;
    }
    assertThat(checked).isGreaterThanOrEqualTo(5);
    // PAWS pairs share almost all their words: at 0.8 some different-meaning pairs hit
    assertThat(curve.at(0.8).fp()).isPositive();

    try (Stream<Path> files = Files.list(out)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.endsWith(".csv")).anyMatch(n -> n.endsWith(".html")).anyMatch(n -> n.endsWith(".md"));
    }
    Path csv;
    try (Stream<Path> files = Files.list(out)) {
      csv = files.filter(p -> p.toString().endsWith(".csv")).findFirst().orElseThrow();
    }
    List<String> rows = Files.readAllLines(csv);
    assertThat(rows).hasSize(1 + 101);
    assertThat(rows.get(0)).startsWith("dataset,model,threshold,queries,answerable,hits,tp,fp,fn,tn,");
    assertThat(stdout.toString(StandardCharsets.UTF_8)).contains("| paws | " + ModelSpec.DEFAULT + " |");
  }
}
