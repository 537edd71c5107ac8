package dev.semcache.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.EmbeddedCacheStorage;
import dev.semcache.index.Entry;
import dev.semcache.index.Scope;
import dev.semcache.index.StorageOptions;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code semcache compact-index} on a real data directory: RocksDB, Lucene, several segments. */
class CompactIndexCommandTest {
  @TempDir Path dir;

  private static float[] unit(SplittableRandom random) {
    float[] v = new float[StorageOptions.defaults().dimension()];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) random.nextGaussian();
    }
    return org.apache.lucene.util.VectorUtil.l2normalize(v);
  }

  private int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Test
  void mergesTheIndexToTheAskedSegmentsAndKeepsEveryEntry() {
    SplittableRandom random = new SplittableRandom(5);
    List<Entry> stored = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    try (EmbeddedCacheStorage storage = EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), Clock.systemUTC())) {
      for (int batch = 0; batch < 4; batch++) {
        for (int i = 0; i < 40; i++) {
          float[] v = unit(random);
          vectors.add(v);
          stored.add(storage.store("faq", Scope.EMPTY, "prompt " + stored.size(), "answer " + stored.size(), v, null,
              Map.of()));
        }
        storage.refreshIndex(); // one segment per batch
      }
      assertThat(storage.indexSegments().getAsInt()).isGreaterThanOrEqualTo(3);
    }

    assertThat(run("compact-index", "--data-dir", dir.toString(), "--segments", "1")).isZero();

    try (EmbeddedCacheStorage storage = EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), Clock.systemUTC())) {
      assertThat(storage.indexSegments().getAsInt()).isEqualTo(1);
      for (int i = 0; i < stored.size(); i++) {
        Entry e = stored.get(i);
        assertThat(storage.findExact("faq", Scope.EMPTY, e.prompt())).as("exact %d", i).isPresent();
        assertThat(storage.findNearest("faq", Scope.EMPTY, vectors.get(i), 1).get(0).entry().id()).as("nearest %d", i)
            .isEqualTo(e.id());
      }
    }
  }

  @Test
  void refusesADirectoryInUseOrNotADataDirectoryAndBadSegments() {
    try (EmbeddedCacheStorage storage = EmbeddedCacheStorage.open(dir, StorageOptions.defaults(), Clock.systemUTC())) {
      storage.store("faq", Scope.EMPTY, "p", "a", unit(new SplittableRandom(1)), null, Map.of());
      assertThat(run("compact-index", "--data-dir", dir.toString())).isEqualTo(CompactIndexCommand.FAILED);
      // the running storage is untouched
      assertThat(storage.findExact("faq", Scope.EMPTY, "p")).isPresent();
    }
    assertThat(run("compact-index", "--data-dir", dir.resolve("nothing-here").toString()))
        .isEqualTo(ServeCommand.CONFIG_ERROR);
    assertThat(run("compact-index", "--data-dir", dir.toString(), "--segments", "0")).isEqualTo(ServeCommand.CONFIG_ERROR);
  }
}
