package dev.semcache.index;

import java.util.Locale;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104HnswScalarQuantizedVectorsFormat;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.util.quantization.QuantizedByteVectorValues.ScalarEncoding;

/** Lucene HNSW vector formats semcache can index with (chosen from measurements: bench/README.md). */
public enum VectorFormat {
  /** HNSW over float32 vectors. */
  FLOAT,
  /** HNSW over 7-bit scalar-quantized vectors (the float vectors are kept on disk too). */
  INT7,
  /** HNSW over 4-bit scalar-quantized vectors. */
  INT4;

  public static VectorFormat parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("vector format must be float, int7 or int4; vector_format=" + name, e);
    }
  }

  KnnVectorsFormat lucene(int maxConn, int beamWidth) {
    return switch (this) {
      case FLOAT -> new Lucene99HnswVectorsFormat(maxConn, beamWidth);
      case INT7 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.SEVEN_BIT, maxConn, beamWidth);
      case INT4 -> new Lucene104HnswScalarQuantizedVectorsFormat(ScalarEncoding.PACKED_NIBBLE, maxConn, beamWidth);
    };
  }
}
