package dev.semcache.server.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.server.cli.CrashLedger.Stored;
import dev.semcache.server.cli.JsonClient.Reply;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The crash test's concurrent clients, each on connections of its own, each writing as fast as the server
 * answers until the server dies under it: three storers (each in a scope of its own), a deleter (stores,
 * then deletes), an invalidator (stores two entries under a scope of their own, then invalidates the scope),
 * a config writer (namespace config PUTs, and new namespaces), an auditor (semantic hits sampled for audit,
 * then their verdicts) and a counter (exact lookups in a namespace of their own, for its statistics, and
 * reads of them). Every acknowledged answer goes into the {@link CrashLedger}.
 */
final class CrashWriters {
  static final String ENTRIES = "crash";
  static final String CONFIGS = "cfg";
  static final String AUDITED = "audited";
  static final String COUNTED = "counted";
  static final String AUDITED_PROMPT = "How do I reset my password?";
  static final String COUNTED_PROMPT = "What is the capital of France?";

  private final List<Writer> writers = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();

  /** One client: {@link #step} until stopped or until the server cannot be reached. */
  abstract static class Writer implements Runnable {
    final String name;
    final CrashLedger ledger;
    final JsonClient client;
    final int round;
    final AtomicInteger acks = new AtomicInteger();
    volatile boolean stop;
    int i;

    Writer(String name, CrashLedger ledger, int port, int round) {
      this.name = name;
      this.ledger = ledger;
      this.client = new JsonClient(port);
      this.round = round;
    }

    abstract void step() throws IOException;

    @Override
    public void run() {
      try {
        while (!stop) {
          i++;
          step();
        }
      } catch (IOException e) {
        // the server was killed: the request in flight is neither acknowledged nor refused
      } catch (RuntimeException e) {
        ledger.unexpected.add(name + ": " + e);
      }
    }

    /**
     * Whether an answer acknowledges the call. 503 and 429 (a busy model) are no answer, only a refusal,
     * and the writer goes on; any other status fails the test.
     */
    boolean acked(Reply r, int expected, String what) {
      if (r.status() == expected) {
        acks.incrementAndGet();
        return true;
      }
      if (r.status() != 503 && r.status() != 429) {
        ledger.unexpected.add(name + ": " + what + " answered " + r.status() + " " + r.json());
      } else {
        pause();
      }
      return false;
    }

    private static void pause() {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    Stored store(String ns, Map<String, String> scope, String prompt, String response) throws IOException {
      Reply r = client.call("POST", "/v1/entries", Map.of("namespace", ns, "scope", scope, "prompt", prompt,
          "response", response));
      if (!acked(r, 201, "store")) {
        return null;
      }
      Stored s = new Stored(r.json().get("entry_id").asText(), ns, scope, prompt, response);
      ledger.stored(s);
      return s;
    }
  }

  /** Starts the clients of one round against the server on {@code port}. */
  CrashWriters(CrashLedger ledger, int port, int round) {
    String[][] scopes = {{}, {"model", "m1"}, {"user", "u2"}};
    for (int k = 0; k < scopes.length; k++) {
      Map<String, String> scope = scopes[k].length == 0 ? Map.of() : Map.of(scopes[k][0], scopes[k][1]);
      int writer = k;
      writers.add(new Writer("storer " + k, ledger, port, round) {
        @Override
        void step() throws IOException {
          store(ENTRIES, scope, "Round " + round + ", writer " + writer + ", question " + i
              + ": how do I plan step " + i + " of migration " + (round * 7 + writer) + "?",
              "Answer " + round + "/" + writer + "/" + i + ": start with the inventory.");
        }
      });
    }
    writers.add(new Writer("deleter", ledger, port, round) {
      @Override
      void step() throws IOException {
        Stored s = store(ENTRIES, Map.of("kind", "deleted"), "Round " + round + " deleted item " + i
            + ": which invoice covers order " + (round * 1000 + i) + "?", "Invoice " + round + "-" + i);
        if (s == null) {
          return;
        }
        ledger.removing(s);
        Reply r = client.call("DELETE", "/v1/entries/" + s.id() + "?namespace=" + ENTRIES, null);
        if (acked(r, 204, "delete")) {
          ledger.removed(s);
        }
      }
    });
    writers.add(new Writer("invalidator", ledger, port, round) {
      @Override
      void step() throws IOException {
        Map<String, String> scope = Map.of("batch", round + "-" + i);
        Stored a = store(ENTRIES, scope, "Batch " + round + "-" + i + ": first question about shipping", "first");
        Stored b = a == null ? null
            : store(ENTRIES, scope, "Batch " + round + "-" + i + ": second question about returns", "second");
        if (b == null) {
          return;
        }
        ledger.removing(a);
        ledger.removing(b);
        Reply r = client.call("POST", "/v1/invalidate", Map.of("namespace", ENTRIES, "scope", scope));
        if (acked(r, 200, "invalidate")) {
          if (r.json().get("removed").asInt() != 2) {
            ledger.unexpected.add(name + ": invalidating scope " + scope + " removed " + r.json().get("removed")
                + ", not the 2 entries stored under it");
          }
          ledger.removed(a);
          ledger.removed(b);
        }
      }
    });
    writers.add(new Writer("config writer", ledger, port, round) {
      @Override
      void step() throws IOException {
        long seq = ledger.configSent.incrementAndGet();
        Reply r = client.call("PUT", "/v1/namespaces/" + CONFIGS, Map.of("ttl_s", 1000 + seq));
        if (r.status() == 201 || r.status() == 200) {
          acks.incrementAndGet();
          ledger.configAcked.set(seq);
        } else {
          acked(r, 200, "config PUT");
        }
        if (seq % 8 == 0) {
          String ns = "cfg-" + seq;
          double threshold = 0.8 + (seq % 100) / 1000.0;
          if (acked(client.call("PUT", "/v1/namespaces/" + ns, Map.of("threshold", threshold)), 201, "namespace PUT")) {
            ledger.created.put(ns, threshold);
          }
        }
      }
    });
    writers.add(new Writer("auditor", ledger, port, round) {
      @Override
      void step() throws IOException {
        Reply r = client.call("POST", "/v1/lookup", Map.of("namespace", AUDITED,
            "prompt", "How can I reset my password? (variant " + round + "-" + i + ")"));
        if (r.status() != 200) {
          acked(r, 200, "audited lookup");
          return;
        }
        JsonNode j = r.json();
        if (!j.path("hit").asBoolean() || !j.path("audit").asBoolean()) {
          ledger.unexpected.add(name + ": a paraphrase at audit_rate 1 and threshold 0.5 was not a sampled hit: " + j);
          return;
        }
        String id = j.get("lookup_id").asText();
        String verdict = i % 3 == 0 ? "false_hit" : "correct";
        ledger.auditsSent.incrementAndGet();
        if (acked(client.call("POST", "/v1/audits/" + id, Map.of("namespace", AUDITED, "verdict", verdict)), 201,
            "audit")) {
          ledger.audits.put(id, verdict);
        }
      }
    });
    writers.add(new Writer("counter", ledger, port, round) {
      @Override
      void step() throws IOException {
        ledger.countedSent.incrementAndGet();
        Reply r = client.call("POST", "/v1/lookup", Map.of("namespace", COUNTED, "prompt", COUNTED_PROMPT));
        if (acked(r, 200, "counted lookup")) {
          if (!"exact".equals(r.json().path("kind").asText())) {
            ledger.unexpected.add(name + ": the counted prompt was not an exact hit: " + r.json());
          }
          ledger.countedAck();
        }
        if (i % 50 == 0) {
          acked(client.call("GET", "/v1/namespaces/" + COUNTED + "/stats", null), 200, "stats");
        }
      }
    });
    for (Writer w : writers) {
      Thread t = new Thread(w, "crash-" + w.name);
      threads.add(t);
      t.start();
    }
  }

  /** Whether every client has had at least one write acknowledged in this round. */
  boolean everyoneAcked() {
    return writers.stream().allMatch(w -> w.acks.get() > 0);
  }

  Map<String, Integer> acks() {
    Map<String, Integer> out = new LinkedHashMap<>();
    writers.forEach(w -> out.put(w.name, w.acks.get()));
    return out;
  }

  /** After the kill: stops every client and waits until each has ended. */
  void stopAndJoin() throws InterruptedException {
    writers.forEach(w -> w.stop = true);
    for (Thread t : threads) {
      t.join(120_000);
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " still runs 120 s after the server was killed");
      }
    }
  }
}
