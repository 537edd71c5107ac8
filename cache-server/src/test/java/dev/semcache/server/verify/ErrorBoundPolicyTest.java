package dev.semcache.server.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The estimator on synthetic entries whose true curve of P(correct | similarity) is known: every
 * entry's answer is right with probability {@code sigmoid(slope (s - t_e))}, with its own {@code t_e},
 * drawn per entry. Its namespace's other entries (drawn the same way) supply the pooled prior.
 */
class ErrorBoundPolicyTest {
  private static final double DELTA = 0.02;
  private static final ErrorBoundPolicy POLICY = ErrorBoundPolicy.of(DELTA);

  /** A namespace of entries whose true thresholds spread over [0.80, 0.92]. */
  private record World(SplittableRandom rnd) {
    double threshold() {
      return 0.80 + 0.12 * rnd.nextDouble();
    }

    static double pCorrect(double t, double s) {
      return CorrectnessCurve.sigmoid(80 * (s - t));
    }

    double similarity() {
      return 0.70 + 0.30 * rnd.nextDouble();
    }

    boolean verdict(double t, double s) {
      return rnd.nextDouble() < pCorrect(t, s);
    }

    /** An entry prior from the verdicts of the namespace's other entries, on the server's 0.005 grid. */
    CorrectnessCurve prior(int entries, int perEntry) {
      long[] ok = new long[200];
      long[] bad = new long[200];
      java.util.List<EntryEvidence> warm = new java.util.ArrayList<>();
      for (int e = 0; e < entries; e++) {
        double t = threshold();
        EntryEvidence ev = new EntryEvidence();
        for (int i = 0; i < perEntry; i++) {
          double s = similarity();
          boolean v = verdict(t, s);
          ev.add(s, v);
          (v ? ok : bad)[Math.min(199, (int) (s * 200))]++;
        }
        warm.add(ev);
      }
      CorrectnessCurve pooled = EntryPrior.pooled(ok, bad, 0.9, DELTA);
      return EntryPrior.of(pooled, EntryPrior.between(pooled, warm), POLICY.z(), (long) entries * perEntry);
    }
  }

  @Test
  void fitRecoversAKnownCurveFromManyVerdicts() {
    SplittableRandom rnd = new SplittableRandom(1);
    int n = 20_000;
    double[] s = new double[n];
    double[] y = new double[n];
    double[] w = new double[n];
    for (int i = 0; i < n; i++) {
      s[i] = 0.7 + 0.3 * rnd.nextDouble();
      y[i] = rnd.nextDouble() < CorrectnessCurve.sigmoid(1.5 + 40 * (s[i] - CorrectnessCurve.CENTER)) ? 1 : 0;
      w[i] = 1;
    }
    CorrectnessCurve c = CurveFit.posterior(EntryPrior.vague(0.9, DELTA), s, y, w, n);
    assertThat(c.a()).isCloseTo(1.5, org.assertj.core.data.Offset.offset(0.15));
    assertThat(c.b()).isCloseTo(40, org.assertj.core.data.Offset.offset(3.0));
    assertThat(Math.sqrt(c.vaa())).isLessThan(0.1);
  }

  /**
   * The cold start: an entry with no verdict of its own, in a namespace with verdicts, serves where the
   * namespace's entries are safely right (it is not stuck exploring), and the hits it serves are wrong at
   * most δ of the time (expected over the namespace's entries) in at least 95% of namespaces (seeds).
   */
  @Test
  void aNewEntryServesFromThePoolWithinTheBound() {
    int seeds = 200;
    int serving = 0;
    int over = 0;
    for (int seed = 0; seed < seeds; seed++) {
      World w = new World(new SplittableRandom(seed));
      CorrectnessCurve prior = w.prior(40, 25);
      Double lowest = lowestServed(prior);
      if (lowest == null) {
        continue;
      }
      serving++;
      // the expected wrong share of the hits a new entry serves (similarities uniform from the lowest served
      // to 1), over the namespace's entries (thresholds uniform on [0.80, 0.92]): integrated on a fine grid
      double wrong = 0;
      int cells = 0;
      for (double s = lowest; s <= 1.0; s += 0.001) {
        for (double t = 0.8; t <= 0.92; t += 0.001) {
          wrong += 1 - World.pCorrect(t, s);
          cells++;
        }
      }
      if (wrong / cells > DELTA) {
        over++;
      }
    }
    assertThat(serving).as("namespaces in which a new entry serves at once").isGreaterThan(seeds * 9 / 10);
    assertThat((double) over / seeds).isLessThanOrEqualTo(0.05);
  }

  /**
   * The promise on the traffic: an online stream per entry (explores and 5% of hits judged, every verdict
   * taught at once) keeps the expected wrong share of what it served under δ in at least 95% of seeds,
   * and serves a good part of what a clairvoyant per-entry threshold would.
   */
  @Test
  void onlineStreamsKeepTheServedWrongShareUnderTheBound() {
    int seeds = 60;
    int over = 0;
    double servedShare = 0;
    for (int seed = 0; seed < seeds; seed++) {
      World w = new World(new SplittableRandom(1000 + seed));
      CorrectnessCurve prior = w.prior(40, 25);
      double wrong = 0;
      int served = 0;
      int lookups = 0;
      for (int entry = 0; entry < 10; entry++) {
        double t = w.threshold();
        EntryEvidence e = new EntryEvidence();
        for (int i = 0; i < 100; i++) {
          double s = w.similarity();
          lookups++;
          Decision d = POLICY.decide(e.curve(prior), s, 0, w.rnd::nextDouble);
          if (d == Decision.HIT) {
            served++;
            wrong += 1 - World.pCorrect(t, s);
            if (w.rnd.nextDouble() < 0.05) {
              e.add(s, w.verdict(t, s));
            }
          } else if (d == Decision.EXPLORE) {
            e.add(s, w.verdict(t, s));
          }
        }
      }
      if (served > 0 && wrong / served > DELTA) {
        over++;
      }
      servedShare += (double) served / lookups;
    }
    System.out.printf("online: %.3f of seeds over the bound, %.3f of lookups served%n", (double) over / seeds,
        servedShare / seeds);
    assertThat((double) over / seeds).isLessThanOrEqualTo(0.05);
    assertThat(servedShare / seeds).as("share of lookups served").isGreaterThan(0.15);
  }

  @Test
  void withoutAnyVerdictANamespaceExploresAboveItsFloorAndServesNothing() {
    CorrectnessCurve pooled = EntryPrior.pooled(new long[200], new long[200], 0.9, DELTA);
    CorrectnessCurve vague = EntryPrior.of(pooled, EntryPrior.between(pooled, java.util.List.of()), POLICY.z(), 0);
    assertThat(POLICY.decide(vague, 0.90, 0.8, () -> 0)).isEqualTo(Decision.EXPLORE);
    assertThat(POLICY.decide(vague, 0.99, 0.8, () -> 0)).isEqualTo(Decision.EXPLORE);
    assertThat(POLICY.decide(vague, 0.79, 0.8, () -> 0)).as("below the explore floor").isEqualTo(Decision.MISS);
  }

  @Test
  void evidenceSurvivesItsStoredForm() {
    EntryEvidence e = new EntryEvidence();
    for (int i = 0; i < EntryEvidence.CAPACITY + 7; i++) {
      e.add(0.8 + i * 0.001, i % 3 != 0);
    }
    EntryEvidence back = EntryEvidence.decode("verify/ns/e1", e.encode());
    assertThat(back.size()).isEqualTo(EntryEvidence.CAPACITY);
    assertThat(back.encode()).isEqualTo(e.encode());
    CorrectnessCurve prior = EntryPrior.vague(0.9, DELTA);
    assertThat(back.curve(prior).a()).isCloseTo(e.curve(prior).a(), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(back.curve(prior).b()).isCloseTo(e.curve(prior).b(), org.assertj.core.data.Offset.offset(1e-7));
    assertThatThrownBy(() -> EntryEvidence.decode("verify/ns/e2", new byte[] {2, 0, 0, 0, 0}))
        .hasMessageContaining("verify/ns/e2 is not format 1");
  }

  @Test
  void refusesABoundOutsideZeroToOne() {
    assertThatThrownBy(() -> ErrorBoundPolicy.of(0)).hasMessage(
        "max_false_hit_rate must be above 0 and below 1; max_false_hit_rate=0.0");
  }

  private static Double lowestServed(CorrectnessCurve c) {
    for (int i = 0; i <= 300; i++) {
      double s = 0.70 + i * 0.001;
      if (POLICY.decide(c, s, 0, () -> 0) == Decision.HIT) {
        return s;
      }
    }
    return null;
  }
}
