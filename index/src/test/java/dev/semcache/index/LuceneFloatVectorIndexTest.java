package dev.semcache.index;

import java.nio.file.Path;

/** The {@link VectorIndex} contract on Lucene with the FLOAT vector format. */
class LuceneFloatVectorIndexTest extends VectorIndexContractTest {
  @Override
  VectorIndex open(Path dir) throws Exception {
    return LuceneVectorIndex.open(dir, VectorFormat.FLOAT, 16, 100, 32);
  }

  @Override
  float tolerance() {
    return 1e-4f;
  }
}
