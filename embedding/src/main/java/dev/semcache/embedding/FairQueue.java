package dev.semcache.embedding;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A bounded queue shared by tenants and fair between them: each tenant has its own FIFO, and takers
 * serve the tenants that have something waiting in turn (round robin), so a tenant with a thousand
 * waiting items and one with a single item each get every other turn. A tenant with nothing waiting
 * costs nothing.
 *
 * <p>Room is fair too. While there is room, anyone may take it (one tenant alone may use the whole
 * queue). When the queue is full, an item of a tenant that holds fewer items than the largest holder
 * pushes out that holder's newest item (which is refused, through {@code onPushedOut}); otherwise the
 * new item is refused. So no tenant holds more than its share of the queue while others wait.
 *
 * @param <T> the items
 */
final class FairQueue<T> {
  private final int capacity;
  private final Consumer<T> onPushedOut;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition notEmpty = lock.newCondition();
  private final Map<String, ArrayDeque<T>> byTenant = new HashMap<>();
  /** Tenants with something waiting, in serving order. */
  private final ArrayDeque<String> turns = new ArrayDeque<>();
  private int size;

  FairQueue(int capacity, Consumer<T> onPushedOut) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive; capacity=" + capacity);
    }
    this.capacity = capacity;
    this.onPushedOut = onPushedOut;
  }

  /** Queues {@code item} for {@code tenant}; false if it was refused (full, and the tenant holds its share). */
  boolean offer(String tenant, T item) {
    T pushedOut = null;
    lock.lock();
    try {
      if (size >= capacity) {
        pushedOut = pushOutFor(tenant);
        if (pushedOut == null) {
          return false;
        }
      }
      ArrayDeque<T> q = byTenant.computeIfAbsent(tenant, t -> new ArrayDeque<>());
      if (q.isEmpty()) {
        turns.addLast(tenant);
      }
      q.addLast(item);
      size++;
      notEmpty.signal();
    } finally {
      lock.unlock();
    }
    if (pushedOut != null) {
      onPushedOut.accept(pushedOut);
    }
    return true;
  }

  /** Removes the newest item of the largest holder if it holds more than {@code tenant} would; the caller holds the lock. */
  private T pushOutFor(String tenant) {
    ArrayDeque<T> own = byTenant.get(tenant);
    int mine = own == null ? 0 : own.size();
    String largest = null;
    int most = 0;
    for (String t : turns) {
      int n = byTenant.get(t).size();
      if (n > most) {
        most = n;
        largest = t;
      }
    }
    if (largest == null || most <= mine + 1) {
      return null;
    }
    ArrayDeque<T> q = byTenant.get(largest);
    T victim = q.pollLast();
    size--;
    if (q.isEmpty()) {
      turns.remove(largest);
      byTenant.remove(largest);
    }
    return victim;
  }

  /** The next item in turn, waiting up to {@code timeout}; null if none came. */
  T poll(long timeout, TimeUnit unit) throws InterruptedException {
    long nanos = unit.toNanos(timeout);
    lock.lock();
    try {
      while (size == 0) {
        if (nanos <= 0) {
          return null;
        }
        nanos = notEmpty.awaitNanos(nanos);
      }
      return take();
    } finally {
      lock.unlock();
    }
  }

  /** The next item in turn, or null if none is waiting. */
  T poll() {
    lock.lock();
    try {
      return size == 0 ? null : take();
    } finally {
      lock.unlock();
    }
  }

  private T take() {
    String tenant = turns.pollFirst();
    ArrayDeque<T> q = byTenant.get(tenant);
    T item = q.pollFirst();
    size--;
    if (q.isEmpty()) {
      byTenant.remove(tenant);
    } else {
      turns.addLast(tenant);
    }
    return item;
  }

  /** Removes one item wherever it waits; false if it was not waiting. */
  boolean remove(String tenant, T item) {
    lock.lock();
    try {
      ArrayDeque<T> q = byTenant.get(tenant);
      if (q == null || !q.remove(item)) {
        return false;
      }
      size--;
      if (q.isEmpty()) {
        byTenant.remove(tenant);
        turns.remove(tenant);
      }
      return true;
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return size;
    } finally {
      lock.unlock();
    }
  }

  /** Items waiting for {@code tenant}. */
  int size(String tenant) {
    lock.lock();
    try {
      ArrayDeque<T> q = byTenant.get(tenant);
      return q == null ? 0 : q.size();
    } finally {
      lock.unlock();
    }
  }

  /** Tenants with something waiting. */
  int tenants() {
    lock.lock();
    try {
      return turns.size();
    } finally {
      lock.unlock();
    }
  }

  boolean isEmpty() {
    return size() == 0;
  }
}
