package dev.semcache.index;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background work of an {@link EmbeddedCacheStorage} on one thread: refresh, commit, sweep, hit
 * flush, and one-off jobs such as re-indexing after a TTL setting change. A failed run is logged and
 * tried again at its next turn; nothing runs once the storage is closed.
 */
final class StorageMaintenance {
  private static final Logger LOG = LoggerFactory.getLogger(StorageMaintenance.class);

  private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "semcache-storage-maintenance");
    t.setDaemon(true);
    return t;
  });
  private final BooleanSupplier closed;

  StorageMaintenance(BooleanSupplier closed) {
    this.closed = closed;
  }

  void every(long millis, String what, Runnable task) {
    executor.scheduleWithFixedDelay(() -> {
      try {
        if (!closed.getAsBoolean()) {
          task.run();
        }
      } catch (RuntimeException e) {
        LOG.error("background {} failed; it will run again in {} ms", what, millis, e);
      }
    }, millis, millis, TimeUnit.MILLISECONDS);
  }

  void once(Runnable task) {
    executor.execute(task);
  }

  /** Stops scheduling and waits for the run in progress. */
  void stop() {
    executor.shutdown();
    try {
      executor.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
