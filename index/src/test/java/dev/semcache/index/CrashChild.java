package dev.semcache.index;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;

/**
 * The process the crash test kills: opens the storage (recovering it), prints {@code READY}, then, as fast
 * as it can and all at once, {@link #WRITERS} writer threads store entries ({@code from + w}, {@code from
 * + w + WRITERS}, ...), printing {@code ACK i id} after each store returns; one thread writes namespace
 * configs, printing {@code CFG n threshold}; and one writes records (what audits, feedback and statistics
 * are stored as), printing {@code REC key}. Usage: {@code CrashChild DATA_DIR WORKLOAD_FILE FROM}.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    CrashWorkload w = CrashWorkload.read(Path.of(args[1]));
    int from = Integer.parseInt(args[2]);
    PrintStream out = new PrintStream(System.out, false, "UTF-8");
    CacheStorage storage = EmbeddedCacheStorage.open(dir, CrashWorkload.OPTIONS, InstantSource.system());
    out.println("READY");
    out.flush();
    for (int t = 0; t < WRITERS; t++) {
      int first = from + t;
      Thread.ofPlatform().start(() -> {
        for (int i = first; ; i += WRITERS) {
          Entry e = storage.store(CrashWorkload.NAMESPACE, Scope.EMPTY, w.prompt(i), CrashWorkload.response(i),
              w.vector(i), null, Map.of("i", Integer.toString(i)));
          ack(out, "ACK " + i + " " + e.id());
        }
      });
    }
    Thread.ofPlatform().start(() -> {
      for (int n = from; ; n++) {
        double threshold = CrashWorkload.threshold(n);
        storage.putConfig(CrashWorkload.configNamespace(n), NamespaceConfig.defaults().withThreshold(threshold));
        ack(out, "CFG " + n + " " + threshold);
      }
    });
    for (int n = from; ; n++) {
      String key = CrashWorkload.recordKey(n);
      storage.putRecords(Map.of(key, CrashWorkload.record(n)));
      ack(out, "REC " + key);
    }
  }

  static final int WRITERS = 4;

  private static void ack(PrintStream out, String line) {
    synchronized (out) {
      out.println(line);
      out.flush();
    }
  }
}
