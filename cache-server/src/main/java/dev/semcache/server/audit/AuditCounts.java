package dev.semcache.server.audit;

import java.util.concurrent.atomic.LongAdder;

/**
 * Verdict tallies of one namespace, derived from its audit records (rebuilt from them on start, so
 * they never disagree with what is stored). Audits of hits and of near misses are pooled in the
 * similarity histograms; feedback is kept apart because it is not a random sample.
 */
public final class AuditCounts {
  final SimilarityHistogram correct = new SimilarityHistogram();
  final SimilarityHistogram falseHits = new SimilarityHistogram();
  final LongAdder hitCorrect = new LongAdder();
  final LongAdder hitFalse = new LongAdder();
  final LongAdder nearMissCorrect = new LongAdder();
  final LongAdder nearMissFalse = new LongAdder();
  final LongAdder feedbackCorrect = new LongAdder();
  final LongAdder feedbackFalse = new LongAdder();

  void add(AuditRecord r) {
    count(r, 1);
  }

  void remove(AuditRecord r) {
    count(r, -1);
  }

  private void count(AuditRecord r, int n) {
    boolean ok = r.verdictValue() == Verdict.CORRECT;
    if (r.isFeedback()) {
      (ok ? feedbackCorrect : feedbackFalse).add(n);
      return;
    }
    (ok ? correct : falseHits).addCount(SimilarityHistogram.bin(r.similarity()), n);
    if (LookupKind.NEAR_MISS.wire().equals(r.kind())) {
      (ok ? nearMissCorrect : nearMissFalse).add(n);
    } else {
      (ok ? hitCorrect : hitFalse).add(n);
    }
  }

  public long[] correctHistogram() {
    return correct.counts();
  }

  public long[] falseHistogram() {
    return falseHits.counts();
  }

  public long auditedHits() {
    return hitCorrect.sum() + hitFalse.sum();
  }

  public long hitsJudgedCorrect() {
    return hitCorrect.sum();
  }

  public long hitsJudgedFalse() {
    return hitFalse.sum();
  }

  public long nearMissesAudited() {
    return nearMissCorrect.sum() + nearMissFalse.sum();
  }

  public long nearMissesJudgedFalse() {
    return nearMissFalse.sum();
  }

  public long feedbackCorrect() {
    return feedbackCorrect.sum();
  }

  public long feedbackFalse() {
    return feedbackFalse.sum();
  }

  /** Audits of hits and near misses (feedback excluded). */
  public long audited() {
    return auditedHits() + nearMissesAudited();
  }

  /**
   * The false-hit rate at {@code threshold}: the false share of the audited nearest entries at or above
   * it (hits and near misses alike), with its interval.
   */
  public Proportion falseHitRate(double threshold) {
    int from = SimilarityHistogram.firstBinAtOrAbove(threshold);
    long bad = SimilarityHistogram.sumFrom(falseHits.counts(), from);
    return Proportion.of(bad, bad + SimilarityHistogram.sumFrom(correct.counts(), from));
  }
}
