package dev.semcache.server.judge;

import dev.semcache.embedding.ModelSpec;
import dev.semcache.embedding.OnnxOptions;
import dev.semcache.embedding.ParallelEmbedder;
import dev.semcache.embedding.ParallelOptions;

/** The second bundled model (BGE), loaded once for every test of the judge in this JVM. */
public final class SecondModel {
  private static ParallelEmbedder bge;

  private SecondModel() {}

  public static synchronized ParallelEmbedder bge() {
    if (bge == null) {
      bge = ParallelEmbedder.open(ModelSpec.named("bge-small-en-v15-q"), OnnxOptions.defaults(),
          new ParallelOptions(1, 64));
      Runtime.getRuntime().addShutdownHook(new Thread(bge::close));
    }
    return bge;
  }
}
