package dev.semcache.server.audit;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A lookup remembered for the audit window, so that an audit or a feedback can name it by its id:
 * every hit (feedback may come for any of them) and every near miss sampled for audit. One small object
 * per hit: it is made on the exact path, on an event loop. It holds the cached answer only when the
 * lookup was sampled for audit (a fresh answer is compared with it).
 */
public final class ServedLookup {
  public static final String EXACT = "exact";
  public static final String SEMANTIC = "semantic";
  public static final String NEAR_MISS = "near_miss";
  private static final int AUDITED = 1;
  private static final int FEEDBACK = 2;
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(ServedLookup.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String namespace;
  private final String lookupId;
  private final String kind;
  private final double similarity;
  private final double threshold;
  private final String prompt;
  private final String matchedPrompt;
  private final String entryId;
  private final String response;
  private final boolean sampled;
  private final long atMillis;
  /** {@link #bytes()}, computed once: the table reads it from the lookup a new one displaces, by then cold in memory. */
  private final int bytes;
  @SuppressWarnings("unused") // through STATE
  private volatile int state;

  /**
   * @param kind {@link #EXACT}, {@link #SEMANTIC} or {@link #NEAR_MISS}
   * @param similarity of the served (or, for a near miss, the nearest) entry
   * @param prompt the lookup's prompt, or null for an exact hit (then it is the matched prompt)
   * @param matchedPrompt the served or nearest entry's prompt, or null for an exact hit: the entry holds it,
   *     and a verdict reads it from there ({@code Analytics.record})
   * @param response the cached answer if sampled, else null
   * @param sampled whether the answer said {@code audit: true}
   */
  public ServedLookup(String namespace, String lookupId, String kind, double similarity, double threshold, String prompt,
      String matchedPrompt, String entryId, String response, boolean sampled, long atMillis) {
    this.namespace = namespace;
    this.lookupId = lookupId;
    this.kind = kind;
    this.similarity = similarity;
    this.threshold = threshold;
    this.prompt = prompt;
    this.matchedPrompt = matchedPrompt;
    this.entryId = entryId;
    this.response = response;
    this.sampled = sampled;
    this.atMillis = atMillis;
    this.bytes = (int) Math.min(Integer.MAX_VALUE, 160 + 2L * (length(prompt) + length(matchedPrompt) + length(response)));
  }

  public String namespace() {
    return namespace;
  }

  public String lookupId() {
    return lookupId;
  }

  public String kind() {
    return kind;
  }

  public double similarity() {
    return similarity;
  }

  public double threshold() {
    return threshold;
  }

  public String prompt() {
    return prompt != null ? prompt : matchedPrompt;
  }

  public String matchedPrompt() {
    return matchedPrompt;
  }

  public String entryId() {
    return entryId;
  }

  public String response() {
    return response;
  }

  public boolean sampled() {
    return sampled;
  }

  public long atMillis() {
    return atMillis;
  }

  public boolean hit() {
    return !NEAR_MISS.equals(kind);
  }

  /** Characters of each prompt a lookup keeps when its namespace or the table is over its byte budget. */
  static final int SLIM_PROMPT_CHARS = 100;

  /** Estimated heap bytes: the object and its strings (two bytes a character, the worst case). */
  long bytes() {
    return bytes;
  }

  /**
   * This lookup without its cached answer and with its prompts cut to {@link #SLIM_PROMPT_CHARS}: what
   * is remembered when the full one does not fit its budget. It still receives feedback; it is not
   * sampled for audit (the answer to compare with is gone).
   */
  ServedLookup slim() {
    return new ServedLookup(namespace, lookupId, kind, similarity, threshold, cut(prompt), cut(matchedPrompt), entryId,
        null, false, atMillis);
  }

  private static int length(String s) {
    return s == null ? 0 : s.length();
  }

  private static String cut(String s) {
    return s == null || s.length() <= SLIM_PROMPT_CHARS ? s : s.substring(0, SLIM_PROMPT_CHARS);
  }

  boolean isAudited() {
    return ((int) STATE.getVolatile(this) & AUDITED) != 0;
  }

  /** Marks the audit as taken; false if it already was. */
  boolean claimAudit() {
    return claim(AUDITED);
  }

  void releaseAudit() {
    release(AUDITED);
  }

  boolean claimFeedback() {
    return claim(FEEDBACK);
  }

  void releaseFeedback() {
    release(FEEDBACK);
  }

  private boolean claim(int bit) {
    int s;
    do {
      s = (int) STATE.getVolatile(this);
      if ((s & bit) != 0) {
        return false;
      }
    } while (!STATE.compareAndSet(this, s, s | bit));
    return true;
  }

  private void release(int bit) {
    int s;
    do {
      s = (int) STATE.getVolatile(this);
    } while (!STATE.compareAndSet(this, s, s & ~bit));
  }
}
