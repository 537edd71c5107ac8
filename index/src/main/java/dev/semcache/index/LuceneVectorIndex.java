package dev.semcache.index;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.lucene.codecs.KnnVectorsFormat;
import org.apache.lucene.codecs.lucene104.Lucene104Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.TieredMergePolicy;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * {@link VectorIndex} on Lucene HNSW. One document per entry: {@code id} (indexed, stored),
 * {@code partition} (indexed), {@code expires} (a point for range filtering) and {@code vector}
 * (DOT_PRODUCT similarity, which on unit vectors is the cosine and is the cheapest of the three).
 *
 * <p>Lucene reports a dot-product score as (1 + cosine) / 2; {@link #search} converts it back.
 * Searches ask HNSW for {@code max(k, candidates)} neighbours and keep the best {@code k}: a wider beam
 * for recall at a small cost.
 */
public final class LuceneVectorIndex implements VectorIndex {
  static final String STORE_SEQUENCE = "semcache.store_sequence";
  /**
   * Partitions up to this many documents are searched exactly rather than through the graph. Measured in
   * a 1M index (bench/README.md, partitions of 1,000 to 50,000): a filtered graph search of a small
   * partition inside a large index walks neighbourhoods of nodes it may not return, and the exact scan
   * was faster at p50 and p99 up to 20,000 entries (p99 4.2 ms against 22 ms at 20,000), with recall@1
   * 1.0 both ways; at 50,000 the two were level.
   */
  static final int EXACT_SEARCH_MAX = 20_000;

  /**
   * How searches run: {@code threads} searching an index's segments side by side (1: the caller's thread
   * alone) and the largest partition searched exactly rather than through the graph.
   */
  public record SearchTuning(int threads, int exactSearchMax) {
    public static final SearchTuning DEFAULT = new SearchTuning(1, EXACT_SEARCH_MAX);

    public SearchTuning {
      if (threads < 1) {
        throw new IllegalArgumentException("search threads must be at least 1; threads=" + threads);
      }
      if (exactSearchMax < 0) {
        throw new IllegalArgumentException("exact search bound must not be negative; exactSearchMax=" + exactSearchMax);
      }
    }
  }
  private static final String ID = "id";
  private static final String PARTITION = "partition";
  private static final String EXPIRES = "expires";
  private static final String VECTOR = "vector";

  private final Directory directory;
  private final IndexWriter writer;
  private final SearcherManager searchers;
  private final int candidates;
  private final VectorFormat format;
  private final SearchTuning tuning;
  /** Searches segments side by side when {@code tuning.threads() > 1}; null otherwise. */
  private final java.util.concurrent.ExecutorService searchPool;
  private volatile long committedSequence;
  /** Upserts and deletes so far, for telling an idle index from a busy one ({@link IndexCompactor}). */
  private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

  private LuceneVectorIndex(Directory directory, IndexWriter writer, int candidates, VectorFormat format,
      SearchTuning tuning) throws IOException {
    this.directory = directory;
    this.writer = writer;
    this.searchPool = tuning.threads() > 1
        ? java.util.concurrent.Executors.newFixedThreadPool(tuning.threads(),
            Thread.ofPlatform().name("semcache-search-", 0).daemon(true).factory())
        : null;
    this.searchers = new SearcherManager(writer, new org.apache.lucene.search.SearcherFactory() {
      @Override
      public IndexSearcher newSearcher(org.apache.lucene.index.IndexReader reader,
          org.apache.lucene.index.IndexReader previous) {
        return new IndexSearcher(reader, searchPool);
      }
    });
    this.candidates = candidates;
    this.format = format;
    this.tuning = tuning;
    Map<String, String> data = writer.getLiveCommitData() == null ? Map.of() : toMap(writer.getLiveCommitData());
    this.committedSequence = Long.parseLong(data.getOrDefault(STORE_SEQUENCE, "0"));
  }

  /**
   * Opens the index in {@code dir}, creating it if there is none.
   *
   * @throws IOException if the index is unreadable (corrupt, truncated, of an unknown format); the
   *     caller rebuilds it from the store
   */
  public static LuceneVectorIndex open(Path dir, VectorFormat format, int maxConn, int beamWidth, int candidates)
      throws IOException {
    return open(dir, format, maxConn, beamWidth, candidates, SearchTuning.DEFAULT);
  }

  /** {@link #open(Path, VectorFormat, int, int, int)} with searches run as {@code tuning} says. */
  public static LuceneVectorIndex open(Path dir, VectorFormat format, int maxConn, int beamWidth, int candidates,
      SearchTuning tuning) throws IOException {
    return open(dir, format, maxConn, beamWidth, candidates, tuning, DEFAULT_SEGMENTS_PER_TIER);
  }

  /** Lucene's {@code TieredMergePolicy} default: how many segments of one size an index may hold. */
  public static final double DEFAULT_SEGMENTS_PER_TIER = new TieredMergePolicy().getSegmentsPerTier();

  /**
   * As above, with {@code segmentsPerTier} segments of about one size allowed before they are merged
   * (Lucene's {@code TieredMergePolicy}, at least 2): fewer means fewer graphs per search and more
   * merging while entries are written.
   */
  public static LuceneVectorIndex open(Path dir, VectorFormat format, int maxConn, int beamWidth, int candidates,
      SearchTuning tuning, double segmentsPerTier) throws IOException {
    if (candidates < 1) {
      throw new IllegalArgumentException("search candidates must be positive; candidates=" + candidates);
    }
    KnnVectorsFormat vectors = format.lucene(maxConn, beamWidth);
    IndexWriterConfig config = new IndexWriterConfig()
        .setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
        .setCodec(new Lucene104Codec() {
          @Override
          public KnnVectorsFormat getKnnVectorsFormatForField(String field) {
            return vectors;
          }
        })
        .setRAMBufferSizeMB(64)
        .setMergePolicy(new TieredMergePolicy().setSegmentsPerTier(segmentsPerTier));
    Directory directory = FSDirectory.open(dir);
    IndexWriter writer = null;
    try {
      writer = new IndexWriter(directory, config);
      LuceneVectorIndex index = new LuceneVectorIndex(directory, writer, candidates, format, tuning);
      // Open every segment now, so that a corrupt or truncated file fails here and not in a lookup.
      try (DirectoryReader reader = DirectoryReader.open(writer)) {
        for (var leaf : reader.leaves()) {
          leaf.reader().getFloatVectorValues(VECTOR);
        }
      }
      return index;
    } catch (IOException | RuntimeException e) {
      if (writer != null) {
        writer.rollback();
      }
      directory.close();
      throw e instanceof IOException io ? io : new IOException("index in " + dir + " is unreadable: " + e, e);
    }
  }

  @Override
  public void upsert(String entryId, String partition, long expiresAtMillis, float[] unitVector) {
    Document doc = new Document();
    doc.add(new StringField(ID, entryId, Field.Store.YES));
    doc.add(new StringField(PARTITION, partition, Field.Store.NO));
    doc.add(new LongPoint(EXPIRES, expiresAtMillis));
    doc.add(new KnnFloatVectorField(VECTOR, unitVector, VectorSimilarityFunction.DOT_PRODUCT));
    try {
      writer.updateDocument(new Term(ID, entryId), doc);
      changes.incrementAndGet();
    } catch (IOException e) {
      throw new StoreException("cannot index entry " + entryId + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void delete(String entryId) {
    try {
      writer.deleteDocuments(new Term(ID, entryId));
      changes.incrementAndGet();
    } catch (IOException e) {
      throw new StoreException("cannot remove entry " + entryId + " from the index: " + e.getMessage(), e);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>A null partition searches all partitions: for benchmarks and tools, never for serving.
   */
  @Override
  public List<Neighbor> search(String partition, float[] unitVector, int k, long nowMillis) {
    BooleanQuery.Builder filters = new BooleanQuery.Builder()
        .add(LongPoint.newRangeQuery(EXPIRES, nowMillis + 1, Long.MAX_VALUE), Occur.FILTER);
    if (partition != null) {
      filters.add(new TermQuery(new Term(PARTITION, partition)), Occur.FILTER);
    }
    Query filter = filters.build();
    try {
      IndexSearcher searcher = searchers.acquire();
      try {
        if (partition != null
            && searcher.getIndexReader().docFreq(new Term(PARTITION, partition)) <= tuning.exactSearchMax()) {
          return exactSearch(searcher, filter, unitVector, k);
        }
        TopDocs top = searcher.search(new KnnFloatVectorQuery(VECTOR, unitVector, Math.max(k, candidates), filter), k);
        StoredFields fields = searcher.storedFields();
        List<Neighbor> out = new ArrayList<>(top.scoreDocs.length);
        for (ScoreDoc sd : top.scoreDocs) {
          out.add(new Neighbor(fields.document(sd.doc).get(ID), 2 * sd.score - 1));
        }
        return out;
      } finally {
        searchers.release(searcher);
      }
    } catch (IOException e) {
      throw new StoreException("vector search failed: " + e.getMessage(), e);
    }
  }

  /**
   * Scores every live document of a small partition against the query and keeps the best {@code k}. A
   * small partition is scored exhaustively: filtered HNSW walks the whole graph's neighbourhoods to find
   * a few allowed nodes (2.8 ms per search in a 500-entry partition of a 1M index, bench/README.md),
   * and Lucene's own exact path, reached by asking for as many neighbours as the partition holds, spent
   * 0.6 ms per search on a 1,000-entry partition mostly heaping and sorting all 1,000 of them.
   */
  private static List<Neighbor> exactSearch(IndexSearcher searcher, Query filter, float[] vector, int k)
      throws IOException {
    java.util.PriorityQueue<ScoreDoc> best = new java.util.PriorityQueue<>(k + 1,
        (a, b) -> a.score != b.score ? Float.compare(a.score, b.score) : Integer.compare(b.doc, a.doc));
    org.apache.lucene.search.Weight weight = searcher.createWeight(searcher.rewrite(filter),
        org.apache.lucene.search.ScoreMode.COMPLETE_NO_SCORES, 1f);
    for (org.apache.lucene.index.LeafReaderContext leaf : searcher.getIndexReader().leaves()) {
      org.apache.lucene.search.Scorer scorer = weight.scorer(leaf);
      if (scorer == null) {
        continue;
      }
      org.apache.lucene.search.DoubleValues similarity =
          org.apache.lucene.search.DoubleValuesSource.similarityToQueryVector(leaf, vector, VECTOR);
      org.apache.lucene.util.Bits live = leaf.reader().getLiveDocs();
      org.apache.lucene.search.DocIdSetIterator docs = scorer.iterator();
      for (int doc = docs.nextDoc(); doc != org.apache.lucene.search.DocIdSetIterator.NO_MORE_DOCS; doc = docs.nextDoc()) {
        if ((live != null && !live.get(doc)) || !similarity.advanceExact(doc)) {
          continue;
        }
        float score = (float) similarity.doubleValue();
        if (best.size() < k) {
          best.add(new ScoreDoc(leaf.docBase + doc, score));
        } else if (score > best.peek().score) {
          best.poll();
          best.add(new ScoreDoc(leaf.docBase + doc, score));
        }
      }
    }
    ScoreDoc[] sorted = best.toArray(new ScoreDoc[0]);
    java.util.Arrays.sort(sorted, (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.doc, b.doc));
    StoredFields fields = searcher.storedFields();
    List<Neighbor> out = new ArrayList<>(sorted.length);
    for (ScoreDoc sd : sorted) {
      out.add(new Neighbor(fields.document(sd.doc).get(ID), 2 * sd.score - 1));
    }
    return out;
  }

  @Override
  public void refresh() {
    try {
      searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new StoreException("cannot refresh the index: " + e.getMessage(), e);
    }
  }

  @Override
  public void commit(long storeSequence) {
    try {
      writer.setLiveCommitData(Map.of(STORE_SEQUENCE, Long.toString(storeSequence)).entrySet());
      writer.commit();
      committedSequence = storeSequence;
    } catch (IOException e) {
      throw new StoreException("cannot commit the index: " + e.getMessage(), e);
    }
  }

  /**
   * Merges the index down to at most {@code maxSegments} segments and commits. A search visits every
   * segment's graph, so after a bulk load (a rebuild, an import) fewer, larger segments search faster.
   * Costs about as much as indexing the entries of the merged segments again.
   */
  public void forceMerge(int maxSegments) {
    try {
      writer.forceMerge(maxSegments);
      writer.commit();
      searchers.maybeRefreshBlocking();
    } catch (IOException e) {
      throw new StoreException("cannot merge the index: " + e.getMessage(), e);
    }
  }

  /** Segments in the index as of the last refresh. */
  public int segmentCount() {
    return segmentEntries().length;
  }

  /** Live documents of each segment as of the last refresh, in the reader's order. */
  public int[] segmentEntries() {
    try {
      IndexSearcher s = searchers.acquire();
      try {
        var leaves = s.getIndexReader().leaves();
        int[] entries = new int[leaves.size()];
        for (int i = 0; i < entries.length; i++) {
          entries[i] = leaves.get(i).reader().numDocs();
        }
        return entries;
      } finally {
        searchers.release(s);
      }
    } catch (IOException e) {
      throw new StoreException("cannot read the index: " + e.getMessage(), e);
    }
  }

  /** Upserts and deletes since the index was opened: unchanged between two calls means no write came between. */
  public long changeCount() {
    return changes.get();
  }

  @Override
  public long committedSequence() {
    return committedSequence;
  }

  @Override
  public int size() {
    try {
      IndexSearcher s = searchers.acquire();
      try {
        return s.getIndexReader().numDocs();
      } finally {
        searchers.release(s);
      }
    } catch (IOException e) {
      throw new StoreException("cannot read the index: " + e.getMessage(), e);
    }
  }

  /** Bytes of the index files on disk. */
  public long diskBytes() throws IOException {
    long n = 0;
    for (String f : directory.listAll()) {
      n += directory.fileLength(f);
    }
    return n;
  }

  @Override
  public void close() {
    try {
      searchers.close();
      // Commit pending changes with the last commit data set, then close without waiting for merges: a
      // rollback aborts a merge in progress (a compaction of a large index can take minutes; Lucene checks
      // for the abort between graph insertions), where close() would wait for it to finish.
      writer.commit();
      writer.rollback();
      directory.close();
      if (searchPool != null) {
        searchPool.shutdown();
      }
    } catch (IOException e) {
      throw new StoreException("cannot close the index: " + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "LuceneVectorIndex{format=" + format + ", candidates=" + candidates + "}";
  }

  private static Map<String, String> toMap(Iterable<Map.Entry<String, String>> data) {
    Map<String, String> m = new java.util.HashMap<>();
    for (var e : data) {
      m.put(e.getKey(), e.getValue());
    }
    return m;
  }
}
