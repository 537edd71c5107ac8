package dev.semcache.embedding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The embedding queue is fair across tenants: in turns while serving, and in room when full. */
class FairQueueTest {

  @Test
  void tenantsAreServedInTurnSoAFloodDoesNotDelayATrickle() {
    FairQueue<String> q = new FairQueue<>(1000, x -> { });
    for (int i = 0; i < 500; i++) {
      assertThat(q.offer("bulk", "bulk-" + i)).isTrue();
    }
    q.offer("chat", "chat-0");
    q.offer("chat", "chat-1");
    List<String> served = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      served.add(q.poll());
    }
    assertThat(served).containsExactly("bulk-0", "chat-0", "bulk-1", "chat-1", "bulk-2", "bulk-3");
    assertThat(q.size()).isEqualTo(496);
    assertThat(q.tenants()).isEqualTo(1);
  }

  @Test
  void whenFullTheLargestHolderGivesWayToATenantWithLess() {
    List<String> pushedOut = new ArrayList<>();
    FairQueue<String> q = new FairQueue<>(10, pushedOut::add);
    for (int i = 0; i < 10; i++) {
      assertThat(q.offer("bulk", "bulk-" + i)).isTrue();
    }
    assertThat(q.offer("bulk", "bulk-10")).as("a full queue refuses the largest holder").isFalse();
    for (int i = 0; i < 5; i++) {
      assertThat(q.offer("chat", "chat-" + i)).isTrue();
    }
    assertThat(pushedOut).containsExactly("bulk-9", "bulk-8", "bulk-7", "bulk-6", "bulk-5");
    assertThat(q.size("bulk")).isEqualTo(5);
    assertThat(q.size("chat")).isEqualTo(5);
    assertThat(q.offer("chat", "chat-5")).as("at an equal share no one gives way").isFalse();
    assertThat(q.size()).isEqualTo(10);
  }

  @Test
  void removeTakesAnItemOutOfItsTenantsTurn() {
    FairQueue<String> q = new FairQueue<>(10, x -> { });
    q.offer("a", "a-0");
    q.offer("b", "b-0");
    assertThat(q.remove("a", "a-0")).isTrue();
    assertThat(q.remove("a", "a-0")).isFalse();
    assertThat(q.poll()).isEqualTo("b-0");
    assertThat(q.poll()).isNull();
    assertThat(q.isEmpty()).isTrue();
  }

  @Test
  void aFloodHoldsOnlyItsShareOfTheServersWhileATrickleIsActive() throws InterruptedException {
    AtomicLong now = new AtomicLong(1_000_000_000L);
    long linger = 200_000_000L;
    FairQueue<String> q = new FairQueue<>(1000, x -> { }, 2, linger, now::get);
    for (int i = 0; i < 100; i++) {
      q.offer("bulk", "bulk-" + i);
    }
    // alone, the flood may use both servers
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("bulk-0");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("bulk-1");
    assertThat(q.inService("bulk")).isEqualTo(2);
    // a trickle's item arrives with both servers busy: the next free server takes it, not the flood's
    q.offer("chat", "chat-0");
    q.finished("bulk");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("chat-0");
    q.finished("chat");
    // chat has nothing waiting but is active within the linger: bulk stays at one server of two
    now.addAndGet(linger / 2);
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).as("bulk is at its share, chat lingers").isNull();
    q.offer("chat", "chat-1");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).as("the kept server serves chat at once").isEqualTo("chat-1");
    q.finished("chat");
    // once chat's linger has passed, bulk gets the second server back
    now.addAndGet(linger + 1);
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("bulk-2");
    assertThat(q.inService("bulk")).isEqualTo(2);
  }

  @Test
  void aTakerWaitingForAShareIsWokenWhenAServerIsFreed() throws Exception {
    AtomicLong now = new AtomicLong();
    FairQueue<String> q = new FairQueue<>(1000, x -> { }, 1, 1_000_000_000L, now::get);
    q.offer("bulk", "bulk-0");
    q.offer("bulk", "bulk-1");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("bulk-0");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).as("one server, in service").isNull();
    Thread finisher = Thread.ofPlatform().start(() -> {
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      q.finished("bulk");
    });
    assertThat(q.poll(30, TimeUnit.SECONDS)).isEqualTo("bulk-1");
    finisher.join();
  }

  @Test
  void withoutServersTheQueueNeverHoldsBackAnItem() throws InterruptedException {
    FairQueue<String> q = new FairQueue<>(10, x -> { });
    q.offer("bulk", "bulk-0");
    q.offer("bulk", "bulk-1");
    q.offer("bulk", "bulk-2");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("bulk-0");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("bulk-1");
    assertThat(q.poll(0, TimeUnit.MILLISECONDS)).isEqualTo("bulk-2");
  }
}
