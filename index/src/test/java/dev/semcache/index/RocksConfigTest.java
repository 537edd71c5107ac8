package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * The write-ahead log is bounded across column families: a family written once (a namespace config)
 * must not keep every later log alive while another family is written constantly (the fault a 30-minute
 * soak found, docs/reliability.md).
 */
class RocksConfigTest {
  @TempDir
  Path dir;

  @Test
  void aRarelyWrittenFamilyDoesNotKeepTheLogGrowing() throws Exception {
    List<ColumnFamilyHandle> handles = new ArrayList<>();
    try (RocksConfig config = new RocksConfig(8 << 20, false);
        RocksDB db = RocksDB.open(config.db, dir.toString(), config.descriptors(), handles)) {
      ColumnFamilyHandle entries = handles.get(1 + RocksConfig.COLUMN_FAMILIES.indexOf("entries"));
      ColumnFamilyHandle namespaces = handles.get(1 + RocksConfig.COLUMN_FAMILIES.indexOf("namespaces"));
      db.put(namespaces, config.write, "faq".getBytes(StandardCharsets.UTF_8), new byte[100]);
      byte[] value = new byte[64 << 10];
      Random random = new Random(1);
      long written = 0;
      long mostLog = 0;
      for (int i = 0; written < 4 * RocksConfig.WAL_BYTES; i++) {
        random.nextBytes(value); // incompressible, like embeddings
        db.put(entries, config.write, ("e" + i).getBytes(StandardCharsets.UTF_8), value);
        written += value.length;
        if (i % 256 == 0) {
          mostLog = Math.max(mostLog, logBytes());
        }
      }
      mostLog = Math.max(mostLog, logBytes());
      // without the bound the first log stays as long as 'namespaces' is not flushed: all 256 MiB written
      assertThat(mostLog).as("write-ahead log bytes after writing %d bytes", written)
          .isLessThan(RocksConfig.WAL_BYTES + RocksConfig.MEMTABLE_BYTES);
      handles.forEach(ColumnFamilyHandle::close);
    }
  }

  private long logBytes() throws IOException {
    try (var files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().endsWith(".log")).mapToLong(f -> {
        try {
          return Files.size(f);
        } catch (IOException e) {
          return 0; // deleted meanwhile
        }
      }).sum();
    }
  }
}
