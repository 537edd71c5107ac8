package dev.semcache.server.audit;

import java.util.Locale;

/** Who or what judged an audit. */
public enum VerdictSource {
  /** The fresh answer equals the cached one (after trimming whitespace). */
  IDENTICAL,
  /** Decided by the similarity of the two answers' embeddings against the namespace's answer_threshold. */
  ANSWER_SIMILARITY,
  /** The gateway (or a person behind it) gave the verdict. */
  GATEWAY,
  /**
   * The local second-stage judge (a classifier over both bundled models' similarities and lexical
   * features of the two prompts, docs/verified.md): a machine's guess, not the model's answer.
   */
  SECOND_STAGE,
  /** A user or an operator flagged a served hit (not used in the false-hit-rate estimate). */
  FEEDBACK;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }
}
