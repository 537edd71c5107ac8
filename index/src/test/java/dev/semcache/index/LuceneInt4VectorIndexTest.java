package dev.semcache.index;

import java.nio.file.Path;

/** The {@link VectorIndex} contract on Lucene with the INT4 vector format. */
class LuceneInt4VectorIndexTest extends VectorIndexContractTest {
  @Override
  VectorIndex open(Path dir) throws Exception {
    return LuceneVectorIndex.open(dir, VectorFormat.INT4, 16, 100, 32);
  }

  @Override
  float tolerance() {
    return 0.08f;
  }
}
