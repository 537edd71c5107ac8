package dev.semcache.index;

import java.nio.file.Path;

/** The {@link VectorIndex} contract on Lucene with the INT7 vector format. */
class LuceneInt7VectorIndexTest extends VectorIndexContractTest {
  @Override
  VectorIndex open(Path dir) throws Exception {
    return LuceneVectorIndex.open(dir, VectorFormat.INT7, 16, 100, 32);
  }

  @Override
  float tolerance() {
    return 0.02f;
  }
}
