package dev.semcache.server.audit;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One judged lookup, stored durably (JSON with {@code "format": 1}, in RocksDB's {@code audits} column
 * family): what was asked, what was (or would have been) served, at which similarity, and the verdict.
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
  public static final int FORMAT = 1;

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
