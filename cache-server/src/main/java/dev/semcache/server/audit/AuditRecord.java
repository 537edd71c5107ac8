package dev.semcache.server.audit;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One judged lookup, stored durably (JSON in the storage's records, {@code "format"} 1 or 2): what was
 * asked, what was (or would have been) served, at which similarity, and the verdict. Format 2 is format 1
 * with {@code judge_probability}; only the second-stage judge's records carry it, so the records of
 * every other judge stay format 1, readable by builds before the judge, which refuse a format 2 record by
 * its number instead of misreading it.
 *
 * @param kind a served semantic hit, a near miss (the nearest entry was not served), or, for
 *     feedback, the kind of the served hit ({@code exact} or {@code semantic})
 * @param answerSimilarity similarity of the fresh and the cached answer when that decided, else null
 * @param judgeProbability the second-stage judge's P(same meaning) when it decided, else null (and then
 *     absent from the stored JSON, so records without it are what they were)
 */
public record AuditRecord(
    @JsonProperty("format") int format,
    @JsonProperty("namespace") String namespace,
    @JsonProperty("lookup_id") String lookupId,
    @JsonProperty("kind") String kind,
    @JsonProperty("similarity") double similarity,
    @JsonProperty("threshold") double threshold,
    @JsonProperty("prompt") String prompt,
    @JsonProperty("matched_prompt") String matchedPrompt,
    @JsonProperty("entry_id") String entryId,
    @JsonProperty("verdict") String verdict,
    @JsonProperty("source") String source,
    @JsonProperty("answer_similarity") Double answerSimilarity,
    @JsonProperty("looked_up_at_ms") long lookedUpAtMillis,
    @JsonProperty("judged_at_ms") long judgedAtMillis,
    @JsonProperty("invalidated") boolean invalidated,
    @JsonProperty("judge_probability") @com.fasterxml.jackson.annotation.JsonInclude(
        com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL) Double judgeProbability) {
  /** The format of a record without {@code judge_probability}. */
  public static final int FORMAT = 1;
  /** The format of a record with {@code judge_probability} (the second-stage judge's). */
  public static final int FORMAT_WITH_JUDGE = 2;

  /** The format a record of this content is written in. */
  public static int formatFor(Double judgeProbability) {
    return judgeProbability == null ? FORMAT : FORMAT_WITH_JUDGE;
  }

  @com.fasterxml.jackson.annotation.JsonCreator
  public AuditRecord {}

  /** A verdict of any judge but the second stage. */
  public AuditRecord(int format, String namespace, String lookupId, String kind, double similarity, double threshold,
      String prompt, String matchedPrompt, String entryId, String verdict, String source, Double answerSimilarity,
      long lookedUpAtMillis, long judgedAtMillis, boolean invalidated) {
    this(format, namespace, lookupId, kind, similarity, threshold, prompt, matchedPrompt, entryId, verdict, source,
        answerSimilarity, lookedUpAtMillis, judgedAtMillis, invalidated, null);
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isSecondStage() {
    return VerdictSource.SECOND_STAGE.wire().equals(source);
  }

  public Verdict verdictValue() {
    return Verdict.parse(verdict);
  }

  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isFeedback() {
    return VerdictSource.FEEDBACK.wire().equals(source);
  }
}
