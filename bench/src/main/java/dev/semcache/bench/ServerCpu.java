package dev.semcache.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * CPU time spent by a server's threads (those whose names start with a prefix: {@code floor-} for the bare
 * Netty floor, {@code semcache-} for semcache) during a measured window. On this shared machine requests/s
 * swing with other work, while CPU time per request measures what a request costs the server itself; the
 * load report gives both (bench/README.md).
 */
final class ServerCpu implements AutoCloseable {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().name("load-cpu-timer").daemon(true).factory());

  /** Sum of CPU nanoseconds of the live threads named {@code prefix...}. */
  static long cpuNanos(String prefix) {
    long sum = 0;
    for (ThreadInfo t : THREADS.dumpAllThreads(false, false)) {
      if (t.getThreadName().startsWith(prefix)) {
        long n = THREADS.getThreadCpuTime(t.getThreadId());
        if (n > 0) {
          sum += n;
        }
      }
    }
    return sum;
  }

  /** A window that starts {@code afterS} from now and lasts {@code seconds}: {@link Window#nanos} after it. */
  Window window(String prefix, double afterS, double seconds) {
    Window w = new Window();
    timer.schedule(() -> w.start = cpuNanos(prefix), (long) (afterS * 1e6), TimeUnit.MICROSECONDS);
    timer.schedule(() -> {
      w.end = cpuNanos(prefix);
      w.ended.countDown();
    }, (long) ((afterS + seconds) * 1e6), TimeUnit.MICROSECONDS);
    return w;
  }

  static final class Window {
    private volatile long start = -1;
    private volatile long end = -1;
    private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);

    /**
     * CPU nanoseconds inside the window, or -1 if it has not ended. Waits up to 5 s for the closing
     * sample: the load client's run ends at the same instant, and reading every thread's CPU time takes a
     * moment (without the wait, about one row in four lost its figure).
     */
    long nanos() {
      try {
        ended.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return start < 0 || end < 0 ? -1 : end - start;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
