package dev.semcache.bench.peers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.codecs.lucene99.Lucene99HnswVectorsFormat;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SerialMergeScheduler;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * Lucene HNSW with the codec semcache's float format uses ({@link Lucene99HnswVectorsFormat}), but bare: one
 * vector field and nothing else, merged into one segment, so that a document's id is the vector's position and
 * one graph is searched, as in jvector. (semcache's own {@code LuceneVectorIndex} adds an id, a partition and
 * an expiry filter on top; that cost is in the "Vector index" tables of bench/README.md.) The index lives in
 * files, read through memory mapping; built in one thread.
 */
public final class LuceneHnswKnn implements KnnIndex {
  private static final String FIELD = "vector";

  private final Directory directory;
  private final DirectoryReader reader;
  private final IndexSearcher searcher;
  private final GraphParams params;

  private LuceneHnswKnn(Directory directory, GraphParams params) throws IOException {
    this.directory = directory;
    this.params = params;
    this.reader = DirectoryReader.open(directory);
    if (reader.leaves().size() != 1 || reader.numDocs() != reader.maxDoc()) {
      throw new IllegalStateException("the Lucene index in " + directory + " must be one segment without deletions; segments="
          + reader.leaves().size() + ", deleted=" + reader.numDeletedDocs());
    }
    this.searcher = new IndexSearcher(reader);
    searcher.setQueryCache(null);
  }

  /** Indexes {@code vectors} in order into a new index in {@code dir}. */
  public static LuceneHnswKnn build(Path dir, List<float[]> vectors, GraphParams params) throws IOException {
    KnnVectorsFormat format = new Lucene99HnswVectorsFormat(params.m(), params.beamWidth());
    IndexWriterConfig config = new IndexWriterConfig()
        .setOpenMode(IndexWriterConfig.OpenMode.CREATE)
        .setCodec(new Lucene104Codec() {
          @Override
          public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
            return format;
          }
        })
        .setMergeScheduler(new SerialMergeScheduler())
        // large enough that the whole corpus is flushed as one segment and the graph is built once
        .setRAMBufferSizeMB(1024);
    Directory directory = FSDirectory.open(dir);
    try (IndexWriter writer = new IndexWriter(directory, config)) {
      for (float[] v : vectors) {
        Document doc = new Document();
        doc.add(new KnnFloatVectorField(FIELD, v, VectorSimilarityFunction.DOT_PRODUCT));
        writer.addDocument(doc);
      }
      writer.forceMerge(1);
      writer.commit();
    }
    return new LuceneHnswKnn(directory, params);
  }

  /** Opens an index that {@link #build} made. */
  public static LuceneHnswKnn open(Path dir, GraphParams params) throws IOException {
    return new LuceneHnswKnn(FSDirectory.open(dir), params);
  }

  @Override
  public int[] search(float[] query, int k, int width) {
    try {
      TopDocs top = searcher.search(new KnnFloatVectorQuery(FIELD, query, Math.max(k, width)), k);
      int[] ids = new int[top.scoreDocs.length];
      int i = 0;
      for (ScoreDoc sd : top.scoreDocs) {
        ids[i++] = sd.doc;
      }
      return ids;
    } catch (IOException e) {
      throw new UncheckedIOException("Lucene search failed in " + directory, e);
    }
  }

  @Override
  public long bytes() {
    try {
      long n = 0;
      for (String f : directory.listAll()) {
        n += directory.fileLength(f);
      }
      return n;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + directory, e);
    }
  }

  @Override
  public void close() {
    try {
      reader.close();
      directory.close();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot close " + directory, e);
    }
  }

  @Override
  public String toString() {
    return "Lucene HNSW (Lucene99HnswVectorsFormat maxConn=" + params.m() + " beamWidth=" + params.beamWidth()
        + ", " + reader.maxDoc() + " vectors, one segment, memory-mapped files)";
  }
}
