package dev.semcache.bench;

import java.util.Arrays;

/**
 * Main class of {@code benchmarks.jar}: {@code summary FILE.json} prints the table of a JMH result file;
 * anything else goes to JMH itself ({@code -l} lists the benchmarks, {@code -h} its options).
 */
public final class BenchMain {
  private BenchMain() {}

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("summary")) {
      JmhSummary.main(Arrays.copyOfRange(args, 1, args.length));
    } else {
      org.openjdk.jmh.Main.main(args);
    }
  }
}
