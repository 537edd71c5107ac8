package dev.semcache.embedding;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

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
 * <p>Servers are shared too, when the queue knows how many there are ({@code servers}) and how long a
 * tenant counts as active after its last item ({@code lingerNanos}): a tenant may have at most
 * {@code max(1, servers / active tenants)} items in service at once (taken and not yet {@link #finished}),
 * where a tenant is active while it has items waiting or in service, or had one within the linger. So a
 * tenant that floods the queue cannot hold every server while another sends a steady trickle: the
 * trickle finds a server free instead of waiting for one of the flood's items to finish. The price is
 * that a server may idle while another active tenant has nothing waiting (for up to the linger after its
 * last item). Built without {@code servers}, the queue shares turns and room only and never idles a
 * server while items wait.
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
  private final int servers;
  private final long lingerNanos;
  private final LongSupplier nanoClock;
  /** Items taken and not yet finished, by tenant (only tenants with some). */
  private final Map<String, Integer> inService = new HashMap<>();
  /** When each tenant last offered or finished an item, while within the linger. */
  private final Map<String, Long> lastActive = new HashMap<>();

  /** A queue that shares room and turns, not servers. */
  FairQueue(int capacity, Consumer<T> onPushedOut) {
    this(capacity, onPushedOut, Integer.MAX_VALUE, 0, System::nanoTime);
  }

  /**
   * @param servers the takers that serve items at once
   * @param lingerNanos how long a tenant counts as active after its last item offered or finished
   */
  FairQueue(int capacity, Consumer<T> onPushedOut, int servers, long lingerNanos, LongSupplier nanoClock) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be positive; capacity=" + capacity);
    }
    if (servers < 1) {
      throw new IllegalArgumentException("servers must be positive; servers=" + servers);
    }
    if (lingerNanos < 0) {
      throw new IllegalArgumentException("linger must not be negative; linger_ns=" + lingerNanos);
    }
    this.capacity = capacity;
    this.onPushedOut = onPushedOut;
    this.servers = servers;
    this.lingerNanos = lingerNanos;
    this.nanoClock = nanoClock;
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
      touch(tenant);
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

  /**
   * The next item in turn of a tenant under its share of the servers, waiting up to {@code timeout}; null
   * if none came. The caller serves it and then calls {@link #finished} with its tenant.
   */
  T poll(long timeout, TimeUnit unit) throws InterruptedException {
    long nanos = unit.toNanos(timeout);
    lock.lock();
    try {
      while (true) {
        T item = size == 0 ? null : take(true);
        if (item != null) {
          return item;
        }
        if (nanos <= 0) {
          return null;
        }
        // items may be waiting for a tenant at its share: look again when one finishes or a linger ends
        if (size == 0) {
          nanos = notEmpty.awaitNanos(nanos);
        } else {
          long slice = Math.min(nanos, RECHECK_NANOS);
          nanos -= slice - notEmpty.awaitNanos(slice);
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /** How often a taker looks again while every waiting item's tenant is at its share. */
  private static final long RECHECK_NANOS = 2_000_000;

  /** The next item in turn, whatever the shares (to drain the queue), or null if none is waiting. */
  T poll() {
    lock.lock();
    try {
      return size == 0 ? null : take(false);
    } finally {
      lock.unlock();
    }
  }

  /** An item of {@code tenant} taken by {@link #poll(long, TimeUnit)} is served: its server is free. */
  void finished(String tenant) {
    lock.lock();
    try {
      inService.computeIfPresent(tenant, (t, n) -> n > 1 ? n - 1 : null);
      touch(tenant);
      notEmpty.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Items of {@code tenant} taken and not finished. */
  int inService(String tenant) {
    lock.lock();
    try {
      return inService.getOrDefault(tenant, 0);
    } finally {
      lock.unlock();
    }
  }

  private void touch(String tenant) {
    if (lingerNanos > 0 && servers != Integer.MAX_VALUE) {
      lastActive.put(tenant, nanoClock.getAsLong());
    }
  }

  /** The first tenant in turn that may take a server ({@code shared}) or any; null if none may. */
  private T take(boolean shared) {
    String tenant = null;
    if (!shared || servers == Integer.MAX_VALUE) {
      tenant = turns.pollFirst();
    } else {
      int share = Math.max(1, servers / activeTenants());
      for (var it = turns.iterator(); it.hasNext(); ) {
        String t = it.next();
        if (inService.getOrDefault(t, 0) < share) {
          it.remove();
          tenant = t;
          break;
        }
      }
      if (tenant == null) {
        return null;
      }
      inService.merge(tenant, 1, Integer::sum);
    }
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

  /** Tenants with items waiting or in service, or active within the linger; the caller holds the lock. */
  private int activeTenants() {
    long now = nanoClock.getAsLong();
    lastActive.values().removeIf(at -> now - at > lingerNanos);
    int n = lastActive.size();
    for (String t : byTenant.keySet()) {
      if (!lastActive.containsKey(t)) {
        n++;
      }
    }
    for (String t : inService.keySet()) {
      if (!lastActive.containsKey(t) && !byTenant.containsKey(t)) {
        n++;
      }
    }
    return Math.max(1, n);
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
