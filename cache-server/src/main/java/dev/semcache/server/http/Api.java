package dev.semcache.server.http;

import static dev.semcache.server.http.Answers.done;
import static dev.semcache.server.http.Requests.jsonBody;

import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.http.ApiKeys.Principal;
import io.netty.handler.codec.http.HttpHeaderNames;
import java.util.concurrent.CompletableFuture;

/**
 * The v1 API over {@link SemanticCache}: authenticates the caller and hands each route to the handler of
 * its concern ({@link LookupRoutes}, {@link EntryRoutes}, {@link NamespaceRoutes}, {@link FigureRoutes},
 * {@link AuditRoutes}), all sharing one {@link Admission}. docs/api.md and docs/openapi.yaml describe every
 * call. Runs on a worker thread, except {@link #lookupOnEventLoop}.
 */
final class Api {
  private final ApiKeys keys;
  private final LookupRoutes lookups;
  private final EntryRoutes entries;
  private final NamespaceRoutes namespaces;
  private final FigureRoutes figures;
  private final AuditRoutes audits;

  Api(SemanticCache cache, ApiKeys keys, ServerMetrics metrics) {
    this.keys = keys;
    Admission admission = new Admission(cache);
    this.lookups = new LookupRoutes(cache, admission, metrics);
    this.entries = new EntryRoutes(cache, admission);
    this.namespaces = new NamespaceRoutes(cache);
    this.figures = new FigureRoutes(cache);
    this.audits = new AuditRoutes(cache);
  }

  CompletableFuture<ApiResponse> handle(HttpCall call, Route.Match match) {
    Principal who = keys.authenticate(call.header(HttpHeaderNames.AUTHORIZATION));
    return switch (match.route()) {
      case LOOKUP -> lookups.lookup(lookups.prepare(who, call));
      case STORE -> lookups.store(who, jsonBody(call));
      case ENTRY_GET -> done(entries.get(who, match));
      case ENTRY_DELETE -> done(entries.delete(who, match));
      case INVALIDATE -> entries.invalidate(who, jsonBody(call));
      case NAMESPACES -> done(namespaces.list(who));
      case NAMESPACE_GET -> done(namespaces.get(who, match.param()));
      case NAMESPACE_PUT -> done(namespaces.put(who, match.param(), jsonBody(call)));
      case STATS -> done(figures.stats(who, match.param()));
      case ANALYSIS -> done(figures.analysis(who, match.param()));
      case AUDITS -> done(audits.list(who, match));
      case AUDIT -> audits.audit(who, match.param(), jsonBody(call));
      case FEEDBACK -> done(audits.feedback(who, jsonBody(call)));
      default -> throw new IllegalStateException("route " + match.route() + " is not an API call");
    };
  }

  /**
   * The part of a lookup that may run on an event loop: authentication, parsing, and the exact path from
   * memory. Returns the answer of an exact hit, or the {@link LookupRoutes.PreparedLookup} that a worker
   * finishes with {@link #lookup}. No disk I/O, no embedding.
   */
  Object lookupOnEventLoop(HttpCall call) {
    return lookups.onEventLoop(keys.authenticate(call.header(HttpHeaderNames.AUTHORIZATION)), call);
  }

  CompletableFuture<ApiResponse> lookup(LookupRoutes.PreparedLookup p) {
    return lookups.lookup(p);
  }
}
