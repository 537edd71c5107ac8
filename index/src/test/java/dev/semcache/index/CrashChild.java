package dev.semcache.index;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Map;

/**
 * The process the crash test kills: opens the storage (recovering it), prints {@code READY}, then stores
 * entries {@code from, from+1, ...} as fast as it can, printing {@code ACK i id} after each store
 * returns. Usage: {@code CrashChild DATA_DIR WORKLOAD_FILE FROM}.
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
    for (int i = from; ; i++) {
      Entry e = storage.store(CrashWorkload.NAMESPACE, Scope.EMPTY, w.prompt(i), CrashWorkload.response(i),
          w.vector(i), null, Map.of("i", Integer.toString(i)));
      out.println("ACK " + i + " " + e.id());
      out.flush();
    }
  }
}
