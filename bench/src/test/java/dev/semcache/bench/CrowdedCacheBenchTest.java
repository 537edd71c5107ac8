package dev.semcache.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.embedding.ModelSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The crowded-cache protocol ({@code ./semcache bench crowded}) on a small slice of BANKING77 with the real
 * model, and its choice of the best static threshold on a case worked by hand.
 */
class CrowdedCacheBenchTest {
  private static CrowdedCacheBench.Looked looked(double s, boolean right) {
    return new CrowdedCacheBench.Looked(0, s, right, true);
  }

  @Test
  void theBestStaticThresholdIsTheLowestWhoseWrongShareMeetsTheTarget() {
    // by similarity: 0.95 right, 0.93 right, 0.91 wrong, 0.90 right, 0.85 right, 0.80 wrong
    List<CrowdedCacheBench.Looked> l = List.of(looked(0.90, true), looked(0.95, true), looked(0.80, false),
        looked(0.93, true), looked(0.91, false), looked(0.85, true));
    CrowdedCacheBench.StaticResult none = CrowdedCacheBench.bestStatic(l, 0.0);
    assertThat(none.threshold()).isEqualTo(0.93);
    assertThat(none.answeredRight()).isEqualTo(2);
    CrowdedCacheBench.StaticResult fifth = CrowdedCacheBench.bestStatic(l, 0.2);
    assertThat(fifth.threshold()).as("4 right, 1 wrong of 5 served").isEqualTo(0.85);
    assertThat(fifth.wrong()).isEqualTo(1);
    assertThat(fifth.recall()).isEqualTo(4 / 6.0);
  }

  /**
   * The judge's verdicts replace labels in the replay: a judge that is always right teaches what the
   * gateway would; one that is always wrong is counted wrong on every verdict it gave, and its errors
   * (not the labels) are what the entries learn.
   */
  @Test
  void aJudgedReplayCountsTheJudgesVerdictsAndItsErrors() {
    java.util.Random rnd = new java.util.Random(3);
    List<CrowdedCacheBench.Looked> perfect = new java.util.ArrayList<>();
    List<CrowdedCacheBench.Looked> inverted = new java.util.ArrayList<>();
    for (int i = 0; i < 400; i++) {
      double s = 0.8 + 0.2 * rnd.nextDouble() * 0.999;
      boolean right = rnd.nextDouble() < (s - 0.8) * 5;
      perfect.add(new CrowdedCacheBench.Looked(i % 20, s, right, true, right ? 0.9 : 0.1));
      inverted.add(new CrowdedCacheBench.Looked(i % 20, s, right, true, right ? 0.1 : 0.9));
    }
    CrowdedCacheBench.Options o = CrowdedCacheBench.parse(new String[] {"--judge", "false"});
    var good = CrowdedCacheBench.judgedReplay(perfect.subList(0, 200), perfect.subList(200, 400), 0.05, 0.9,
        VerifiedReplay.Verdicts.JUDGE_ONLY, 200, o);
    assertThat(good.judgeVerdicts()).isPositive();
    assertThat(good.judgeWrong()).isZero();
    assertThat(good.gatewayVerdicts()).as("no gateway in this replay").isZero();
    var bad = CrowdedCacheBench.judgedReplay(inverted.subList(0, 200), inverted.subList(200, 400), 0.05, 0.9,
        VerifiedReplay.Verdicts.JUDGE_ONLY, 200, o);
    assertThat(bad.judgeWrong()).isEqualTo(bad.judgeVerdicts()).isPositive();
    var mixed = CrowdedCacheBench.judgedReplay(perfect.subList(0, 200), perfect.subList(200, 400), 0.05, 0.9,
        VerifiedReplay.Verdicts.GATEWAY_AND_JUDGE, 200, o);
    assertThat(mixed.answeredRight() + mixed.wrong()).isEqualTo(mixed.hits());
  }

  @Test
  void aSmallBankingSliceRunsBothModesAndKeepsTheirCountsConsistent() throws Exception {
    CrowdedCacheBench.Options o = CrowdedCacheBench.parse(new String[] {"--models", ModelSpec.DEFAULT, "--datasets",
        "banking77", "--train-per-intent", "2", "--measure-per-intent", "1", "--judge", "false"});
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CrowdedCacheBench.Results r = CrowdedCacheBench.run(o, new PrintStream(out, true, StandardCharsets.UTF_8));
    assertThat(r.rows()).hasSize(1);
    CrowdedCacheBench.Row row = r.rows().get(0);
    assertThat(row.entries()).as("66 stored intents, 2 wordings each").isEqualTo(132);
    assertThat(row.measured()).as("one test query per intent, less verbatim repeats of a stored one")
        .isBetween(77 - row.repeatsLeftOut(), 77);
    assertThat(row.shouldHit()).as("of 77 intents, the 11 held out should miss").isBetween(60L, 66L);
    for (CrowdedCacheBench.StaticResult s : row.statics()) {
      assertThat(s.wrong()).isLessThanOrEqualTo((long) Math.floor(s.target() * s.hits() + 1e-9));
      assertThat(s.answeredRight()).isEqualTo(s.hits() - s.wrong()).isLessThanOrEqualTo(row.shouldHit());
    }
    for (CrowdedCacheBench.VerifiedResult v : row.verified()) {
      assertThat(v.answeredRight() + v.wrong()).isEqualTo(v.hits());
      assertThat(v.hits() + v.explores()).isLessThanOrEqualTo(row.measured());
      assertThat(v.auditsMeasure()).as("every explore asks for a verdict").isGreaterThanOrEqualTo(v.explores());
      assertThat(v.staticSameWrong().wrong()).isLessThanOrEqualTo(
          (long) Math.floor(v.wrongShare().estimate() * v.staticSameWrong().hits() + 1e-9));
    }
    assertThat(r.costs()).singleElement().satisfies(c -> assertThat(c.msPerLookup()).isPositive());
    String md = out.toString(StandardCharsets.UTF_8);
    assertThat(md).contains("| banking77 | " + ModelSpec.DEFAULT + " | 132 |");
  }
}
