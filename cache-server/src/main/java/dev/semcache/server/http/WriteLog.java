package dev.semcache.server.http;

import dev.semcache.index.Scope;
import dev.semcache.server.http.ApiKeys.Principal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who changed what: one log line per write (store, delete, invalidation, namespace config, an audit or
 * feedback that invalidated), naming the API key by its name, never the key. The logger is {@code
 * semcache.writes}, so an operator can route it to its own file or turn it off in the logging config
 * without touching the rest. Lines are {@code key=... action=... namespace=...} and the action's
 * details, so that they grep and parse.
 */
final class WriteLog {
  static final String LOGGER = "semcache.writes";
  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

  private WriteLog() {}

  static void stored(Principal who, String ns, String entryId, Scope scope) {
    LOG.info("key={} action=store namespace={} entry={} scope={}", who.name(), ns, entryId,
        new java.util.TreeSet<>(scope.attributes().keySet()));
  }

  static void deleted(Principal who, String ns, String entryId) {
    LOG.info("key={} action=delete namespace={} entry={}", who.name(), ns, entryId);
  }

  static void invalidated(Principal who, String ns, Scope scope, boolean bySimilarity, int removed) {
    LOG.info("key={} action=invalidate namespace={} scope={} by={} removed={}", who.name(), ns,
        new java.util.TreeMap<>(scope.attributes()), bySimilarity ? "similarity" : "scope", removed);
  }

  static void configured(Principal who, String ns, Object config) {
    LOG.info("key={} action=configure namespace={} config={}", who.name(), ns, config);
  }

  static void judged(Principal who, String ns, String action, String lookupId, String verdict, String entryId,
      boolean invalidated) {
    LOG.info("key={} action={} namespace={} lookup={} verdict={} entry={} invalidated={}", who.name(), action, ns,
        lookupId, verdict, entryId, invalidated);
  }
}
