package dev.semcache.server.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the server acknowledged to the crash test's writers, over every round: what must be there after a
 * SIGKILL and a restart, and what must not. A write whose answer did not come before the kill is in
 * neither, since it may or may not have happened.
 */
final class CrashLedger {
  /** An acknowledged store. */
  record Stored(String id, String namespace, Map<String, String> scope, String prompt, String response) {}

  /** Acknowledged stores not removed by an acknowledged (or an unanswered) delete or invalidation, by id. */
  final Map<String, Stored> live = new ConcurrentHashMap<>();
  /** Acknowledged stores whose delete or invalidation was acknowledged: gone for good. */
  final Map<String, Stored> gone = new ConcurrentHashMap<>();
  /** Those of {@link #gone} removed in the current round (their exact lookups are checked too). */
  final Map<String, Stored> goneThisRound = new ConcurrentHashMap<>();

  /** The config writer's sequence: the {@code ttl_s} of namespace {@code cfg} is 1000 plus it. */
  final AtomicLong configSent = new AtomicLong();
  final AtomicLong configAcked = new AtomicLong();
  /** Namespaces created by an acknowledged PUT, with the threshold it gave. */
  final Map<String, Double> created = new ConcurrentHashMap<>();

  /** Acknowledged audit verdicts, by lookup id; and how many audits were sent at all. */
  final Map<String, String> audits = new ConcurrentHashMap<>();
  final AtomicInteger auditsSent = new AtomicInteger();

  /** This round's lookups in the counted namespace: sent, and when each acknowledged one was answered. */
  final AtomicInteger countedSent = new AtomicInteger();
  final List<Long> countedAckNanos = new ArrayList<>(); // guarded by itself; one writer appends in order

  /** Answers that no crash explains: any of them fails the test. */
  final ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();

  void stored(Stored s) {
    live.put(s.id(), s);
  }

  /** Before a delete or invalidation is sent: from now on the entry may or may not be there. */
  void removing(Stored s) {
    live.remove(s.id());
  }

  /** After a delete or invalidation was acknowledged. */
  void removed(Stored s) {
    gone.put(s.id(), s);
    goneThisRound.put(s.id(), s);
  }

  void countedAck() {
    synchronized (countedAckNanos) {
      countedAckNanos.add(System.nanoTime());
    }
  }

  /** Acknowledged counted lookups answered at or before {@code nanos}. */
  int countedAckedBy(long nanos) {
    synchronized (countedAckNanos) {
      int n = 0;
      for (long t : countedAckNanos) {
        n += t <= nanos ? 1 : 0;
      }
      return n;
    }
  }

  int countedAcked() {
    synchronized (countedAckNanos) {
      return countedAckNanos.size();
    }
  }

  /** When the {@code i}-th (0-based) acknowledged counted lookup was answered. */
  long countedAckNanos(int i) {
    synchronized (countedAckNanos) {
      return countedAckNanos.get(i);
    }
  }

  /** Starts a round: the counted lookups and the removals of the round before are forgotten. */
  void newRound() {
    countedSent.set(0);
    synchronized (countedAckNanos) {
      countedAckNanos.clear();
    }
    goneThisRound.clear();
  }
}
