package dev.semcache.index;

import java.util.concurrent.locks.ReentrantLock;

/**
 * The one lock every write of an {@link EmbeddedCacheStorage} takes, and whether the storage is closed.
 * Writes are serialised so that sequence numbers, eviction decisions and the in-flight set agree; reads
 * take no lock.
 */
final class WriteGate {
  private final ReentrantLock lock = new ReentrantLock();
  private final String what;
  private volatile boolean closed;

  WriteGate(String what) {
    this.what = what;
  }

  void lock() {
    lock.lock();
  }

  void unlock() {
    lock.unlock();
  }

  boolean isClosed() {
    return closed;
  }

  /** Fails if the storage is closed; call with the lock held. */
  void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(what + " is closed");
    }
  }

  /** Closes the gate; returns false if it was closed already. */
  boolean close() {
    lock.lock();
    try {
      if (closed) {
        return false;
      }
      closed = true;
      return true;
    } finally {
      lock.unlock();
    }
  }
}
