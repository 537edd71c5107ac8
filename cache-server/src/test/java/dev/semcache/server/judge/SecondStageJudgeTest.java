package dev.semcache.server.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shipped coefficients file, its checks, and the judge on the real bundled models. */
class SecondStageJudgeTest {
  static ParallelEmbedder minilm;

  @BeforeAll
  static void load() {
    minilm = ParallelEmbedder.open(ModelSpec.named(ModelSpec.DEFAULT), OnnxOptions.defaults(), new ParallelOptions(1, 64));
  }

  @AfterAll
  static void close() {
    minilm.close();
  }

  @Test
  void theShippedFileLoadsAndSaysWhereItCameFrom() {
    JudgeCoefficients c = JudgeCoefficients.bundled();
    assertThat(c.format()).isEqualTo(JudgeCoefficients.FORMAT);
    assertThat(c.features()).isEqualTo(PairFeatures.NAMES);
    assertThat(c.firstModel()).isEqualTo(ModelSpec.DEFAULT);
    assertThat(c.secondModel()).isEqualTo("bge-small-en-v15-q");
    assertThat(c.firstModelSha256()).as("fitted on the bundled model file")
        .isEqualTo(ModelSpec.named(ModelSpec.DEFAULT).onnxSha256());
    assertThat(c.training().get("data")).isNotEmpty();
    assertThat(c.heldOut().get("all").get("second-stage judge").get("auc").asDouble()).isBetween(0.5, 1.0);
  }

  @Test
  void aFileOfAnotherFormatOrFeatureListIsRefusedSayingWhy() {
    ObjectNode good = (ObjectNode) JudgeCoefficients.JSON.valueToTree(JudgeCoefficients.bundled());
    ObjectNode v2 = good.deepCopy().put("format", 2);
    assertThatThrownBy(() -> read(v2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("judge.json: second-stage judge coefficients have format 2; this build reads format 1"
            + " (retrain with ./semcache bench train-judge)");
    ObjectNode renamed = good.deepCopy();
    ((ArrayNode) renamed.get("features")).set(2, "word_overlap");
    assertThatThrownBy(() -> read(renamed)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("judge.json: second-stage judge coefficients are for the features [cosine_first_model,"
            + " cosine_second_model, word_overlap,")
        .hasMessageContaining("; this build computes " + PairFeatures.NAMES);
    ObjectNode unknown = good.deepCopy().put("bias", 1.0);
    assertThatThrownBy(() -> read(unknown)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("judge.json is not a readable coefficients file: ")
        .hasMessageContaining("bias");
  }

  private static JudgeCoefficients read(ObjectNode n) {
    return JudgeCoefficients.read(new ByteArrayInputStream(n.toString().getBytes(StandardCharsets.UTF_8)), "judge.json");
  }

  /**
   * A paraphrase outranks a pair with the same words in another order (PAWS's kind of hard negative,
   * which the bi-encoders alone score almost as high), through the judge's own asynchronous path.
   */
  @Test
  void onTheRealModelsAParaphraseOutranksASwappedWordNonDuplicate() throws Exception {
    try (SecondStageJudge judge = new SecondStageJudge(JudgeCoefficients.bundled(), ModelSpec.DEFAULT, SecondModel.bge())) {
      String q = "What is the cheapest way to fly from Paris to London?";
      String paraphrase = "How can I fly from Paris to London for the lowest price?";
      String swapped = "What is the cheapest way to fly from London to Paris?";
      double pPara = judge.judge(q, paraphrase, cosine(q, paraphrase)).get(60, TimeUnit.SECONDS);
      double pSwap = judge.judge(q, swapped, cosine(q, swapped)).get(60, TimeUnit.SECONDS);
      assertThat(cosine(q, swapped)).as("the bi-encoder alone prefers the swap").isGreaterThan(cosine(q, paraphrase));
      assertThat(pPara).as("P(same) of the paraphrase, vs %s of the swap", pSwap).isGreaterThan(pSwap);
      assertThat(pPara).isGreaterThan(SecondStageJudge.SAME_AT);
      assertThat(judge.judged()).isEqualTo(2);
    }
  }

  /** It gives a verdict only when sure; in between, none (the gateway's audit decides). */
  @Test
  void aVerdictOnlyWhenSure() {
    assertThat(SecondStageJudge.verdict(0.95)).isTrue();
    assertThat(SecondStageJudge.verdict(SecondStageJudge.CORRECT_AT)).isTrue();
    assertThat(SecondStageJudge.verdict(0.6)).isNull();
    assertThat(SecondStageJudge.verdict(0.4)).isNull();
    assertThat(SecondStageJudge.verdict(SecondStageJudge.FALSE_AT)).isFalse();
    assertThat(SecondStageJudge.verdict(0.01)).isFalse();
  }

  @Test
  void aJudgeForAServerRunningAnotherModelIsRefused() {
    JudgeCoefficients c = JudgeCoefficients.bundled();
    assertThatThrownBy(() -> new SecondStageJudge(c, "e5-large", null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("the second-stage judge was fitted for all-minilm-l6-v2-q and bge-small-en-v15-q; the server runs"
            + " e5-large");
  }

  private static double cosine(String a, String b) {
    return dev.semcache.embedding.Vectors.dot(minilm.embed(a), minilm.embed(b));
  }
}
