package dev.semcache.server.verify;

/** What a verified namespace does with a lookup's nearest entry. */
public enum Decision {
  /** Serve it: the bound on a wrong answer holds at this similarity. */
  HIT,
  /** Do not serve it, and ask for a verdict: the bound may hold but is not shown yet. */
  EXPLORE,
  /** Do not serve it: a wrong answer is likely enough that even the optimistic bound exceeds the target. */
  MISS
}
