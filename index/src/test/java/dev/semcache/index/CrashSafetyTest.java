package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A child JVM stores entries and is killed with SIGKILL at a random moment after its first
 * acknowledged store, 20 times over the same data directory. After each kill the storage is reopened (recovering the index from the change log)
 * and every entry the child acknowledged, in this round or any before, must be found by the exact path
 * and by semantic search, intact; and no entry in the store may be half-written.
 */
class CrashSafetyTest {
  static final int ROUNDS = 20;

  @TempDir
  Path tmp;

  @Test
  void acknowledgedStoresSurviveSigkill() throws Exception {
    CrashWorkload w = workload();
    Path file = tmp.resolve("workload.bin");
    w.write(file);
    Path data = tmp.resolve("data");
    Map<Integer, String> acked = new LinkedHashMap<>();
    Random random = new Random(20261122);
    int from = 0;
    for (int round = 0; round < ROUNDS; round++) {
      int roundAcks = runAndKill(data, file, from, random.nextInt(450), acked);
      from += 100_000;
      try (EmbeddedCacheStorage storage = EmbeddedCacheStorage.open(data, CrashWorkload.OPTIONS, InstantSource.system())) {
        for (var a : acked.entrySet()) {
          int i = a.getKey();
          Entry e = storage.findExact(CrashWorkload.NAMESPACE, Scope.EMPTY, w.prompt(i)).orElse(null);
          assertThat(e).as("round %d: acknowledged entry %d by exact path", round, i).isNotNull();
          assertThat(e.id()).isEqualTo(a.getValue());
          assertThat(e.response()).isEqualTo(CrashWorkload.response(i));
          assertThat(e.embedding()).containsExactly(w.vector(i));
          List<Match> near = storage.findNearest(CrashWorkload.NAMESPACE, Scope.EMPTY, w.vector(i), 5);
          assertThat(near).as("round %d: acknowledged entry %d by semantic search", round, i)
              .extracting(m -> m.entry().id()).contains(a.getValue());
        }
        // nothing half-written: every stored entry, acknowledged or not, is whole and consistent
        storage.store().forEachEntry(e -> {
          int i = Integer.parseInt(e.metadata().get("i"));
          assertThat(e.prompt()).isEqualTo(w.prompt(i));
          assertThat(e.response()).isEqualTo(CrashWorkload.response(i));
          assertThat(e.embedding()).containsExactly(w.vector(i));
        });
        assertThat(storage.indexedCount()).isEqualTo(storage.entryCount());
      }
      System.out.printf("round %d: %d acknowledged this round, %d in all%n", round, roundAcks, acked.size());
    }
    assertThat(acked).hasSizeGreaterThanOrEqualTo(ROUNDS);
  }

  /**
   * Starts the child and kills it {@code killAfterMillis} after its first acknowledged store (not after it
   * is ready: on a crowded machine the first store can take longer than any fixed delay, and a round
   * without an acknowledged store would prove nothing); returns the acks it printed.
   */
  private int runAndKill(Path data, Path file, int from, int killAfterMillis, Map<Integer, String> acked)
      throws Exception {
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED", "-Xmx512m",
        "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(),
        data.toString(), file.toString(), Integer.toString(from));
    Process p = new ProcessBuilder(cmd).redirectError(tmp.resolve("child.log").toFile()).start();
    List<String> lines = new ArrayList<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (lines) {
            lines.add(line);
            lines.notifyAll();
          }
        }
      } catch (java.io.IOException ignored) {
        // the pipe breaks when the child is killed
      }
    });
    reader.start();
    synchronized (lines) {
      long deadline = System.currentTimeMillis() + 120_000;
      while (lines.stream().noneMatch(l -> l.startsWith("ACK "))) {
        assertThat(p.isAlive()).as("child alive (see %s)", tmp.resolve("child.log")).isTrue();
        assertThat(System.currentTimeMillis()).as("child's first store acknowledged within 120 s").isLessThan(deadline);
        lines.wait(100);
      }
    }
    Thread.sleep(killAfterMillis);
    p.destroyForcibly(); // SIGKILL
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    reader.join(10_000);
    int n = 0;
    synchronized (lines) {
      for (String line : lines) {
        if (line.startsWith("ACK ")) {
          String[] parts = line.split(" ");
          if (parts.length == 3) {
            acked.put(Integer.parseInt(parts[1]), parts[2]);
            n++;
          }
        }
      }
    }
    assertThat(n).as("stores acknowledged before the kill").isPositive();
    return n;
  }

  private static CrashWorkload workload() throws Exception {
    Path mock = Path.of(System.getProperty("semcache.shared.dir", "../../shared"), "data/gptcache_mock/mock_data.json");
    LinkedHashSet<String> sentences = new LinkedHashSet<>();
    for (JsonNode row : new ObjectMapper().readTree(mock.toFile())) {
      sentences.add(row.get("origin").asText());
      if (sentences.size() == 200) {
        break;
      }
    }
    List<String> s = new ArrayList<>(sentences);
    List<float[]> v = new ArrayList<>();
    for (String text : s) {
      v.add(TestVectors.of(text));
    }
    return new CrashWorkload(s, v);
  }
}
