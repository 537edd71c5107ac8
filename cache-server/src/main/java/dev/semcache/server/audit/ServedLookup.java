package dev.semcache.server.audit;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A lookup remembered for the audit window, so that an audit or a feedback can name it by its id:
 * every hit (feedback may come for any of them) and every near miss sampled for audit.
 *
 * @param kind {@code exact}, {@code semantic} or {@code near_miss}
 * @param similarity of the served (or, for a near miss, the nearest) entry
 * @param sampled whether the answer said {@code audit: true}
 */
public record ServedLookup(String namespace, String lookupId, String kind, double similarity, double threshold,
    String prompt, String matchedPrompt, String entryId, String response, boolean sampled, long atMillis,
    AtomicBoolean audited, AtomicBoolean feedbackGiven) {

  public static final String EXACT = "exact";
  public static final String SEMANTIC = "semantic";
  public static final String NEAR_MISS = "near_miss";

  public ServedLookup(String namespace, String lookupId, String kind, double similarity, double threshold,
      String prompt, String matchedPrompt, String entryId, String response, boolean sampled, long atMillis) {
    this(namespace, lookupId, kind, similarity, threshold, prompt, matchedPrompt, entryId, response, sampled, atMillis,
        new AtomicBoolean(), new AtomicBoolean());
  }

  public boolean hit() {
    return !NEAR_MISS.equals(kind);
  }
}
