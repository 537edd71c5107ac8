package dev.semcache.index;

import java.util.ArrayList;
import java.util.List;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteOptions;

/**
 * Every RocksDB option semcache sets, in one place, with the reason for each.
 *
 * <ul>
 *   <li><b>WAL on</b> (RocksDB's default, never disabled): a write is in the log before {@code put}
 *       returns, so a process crash loses no acknowledged write. {@code sync} additionally fsyncs the
 *       log on every write, for power-loss durability at the cost of a disk flush per store; off by
 *       default because the threat we defend against by default is a killed process, not a lost host.
 *   <li><b>One shared LRU block cache</b> (size configurable) for all column families, so memory is
 *       bounded by one number. Index and filter blocks live in it too ({@code
 *       cache_index_and_filter_blocks}), so they count against the bound.
 *   <li><b>Bloom filters</b>, 10 bits per key (about 1% false positives): lookups by entry id and by
 *       exact-match key are point reads, most of which (exact-path misses) find nothing.
 *   <li><b>LZ4</b> on every level, <b>ZSTD</b> at the bottom level: prompts and responses are text
 *       and compress well; embeddings barely compress, so a cheap codec on the hot levels and a dense
 *       one where most data rests.
 *   <li><b>Two background jobs</b>: the machine this is sized for has two cores, and flushes and
 *       compactions must not starve inference.
 *   <li><b>Memtables and the write-ahead log bounded in all</b>, not per column family: {@value
 *       #MEMTABLE_BYTES} bytes of memtables across the {@link #COLUMN_FAMILIES} ({@code db_write_buffer_size};
 *       each family's own default is 64 MiB, eleven times that in all) and {@value #WAL_BYTES} bytes of
 *       log ({@code max_total_wal_size}). A log file is deleted only when every family with data in it
 *       has flushed, so a family written rarely (statistics, configs) kept the first log alive while the
 *       busy ones filled new ones: a 30-minute soak grew the store to 126 MiB, 101 MiB of it one log,
 *       with 2,000 live entries. Past either bound RocksDB flushes the families that hold the oldest data.
 * </ul>
 */
final class RocksConfig implements AutoCloseable {
  static final List<String> COLUMN_FAMILIES = List.of(
      "entries", "stats", "exact", "expiry", "recency", "recency_all", "changes", "namespaces", "audits", "meta");

  /** Memtables of all column families together, at most. */
  static final long MEMTABLE_BYTES = 64L << 20;
  /** Write-ahead log files kept, at most, before the families holding the oldest are flushed. */
  static final long WAL_BYTES = 64L << 20;

  final DBOptions db;
  final ColumnFamilyOptions cf;
  final WriteOptions write;
  /**
   * Reads that never touch the disk: memtables and the block cache only ({@code kBlockCacheTier}). A
   * read that would need I/O fails with status {@code Incomplete} instead, so that a caller on a thread
   * that must not block (an event loop) can hand the read to one that may.
   */
  final org.rocksdb.ReadOptions memoryOnly;
  private final LRUCache cache;
  private final BloomFilter bloom;

  RocksConfig(long blockCacheBytes, boolean sync) {
    RocksDB.loadLibrary();
    cache = new LRUCache(blockCacheBytes);
    bloom = new BloomFilter(10);
    BlockBasedTableConfig table = new BlockBasedTableConfig()
        .setBlockCache(cache)
        .setFilterPolicy(bloom)
        .setCacheIndexAndFilterBlocks(true)
        .setPinL0FilterAndIndexBlocksInCache(true);
    cf = new ColumnFamilyOptions()
        .setTableFormatConfig(table)
        .setCompressionType(CompressionType.LZ4_COMPRESSION)
        .setBottommostCompressionType(CompressionType.ZSTD_COMPRESSION);
    db = new DBOptions()
        .setCreateIfMissing(true)
        .setCreateMissingColumnFamilies(true)
        .setMaxBackgroundJobs(2)
        .setBytesPerSync(1 << 20)
        .setDbWriteBufferSize(MEMTABLE_BYTES)
        .setMaxTotalWalSize(WAL_BYTES);
    write = new WriteOptions().setSync(sync);
    memoryOnly = new org.rocksdb.ReadOptions().setReadTier(org.rocksdb.ReadTier.BLOCK_CACHE_TIER);
  }

  List<ColumnFamilyDescriptor> descriptors() {
    List<ColumnFamilyDescriptor> out = new ArrayList<>();
    out.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cf));
    for (String name : COLUMN_FAMILIES) {
      out.add(new ColumnFamilyDescriptor(name.getBytes(java.nio.charset.StandardCharsets.UTF_8), cf));
    }
    return out;
  }

  @Override
  public void close() {
    write.close();
    memoryOnly.close();
    db.close();
    cf.close();
    bloom.close();
    cache.close();
  }
}
