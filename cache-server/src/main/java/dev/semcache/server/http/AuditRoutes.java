package dev.semcache.server.http;

import static dev.semcache.server.http.Answers.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.server.audit.AuditRecord;
import dev.semcache.server.audit.Verdict;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.config.Role;
import dev.semcache.server.http.ApiKeys.Principal;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/namespaces/{ns}/audits} (paged), {@code POST /v1/lookups/{id}/audit} and
 * {@code POST /v1/feedback}: the verdicts that measure a namespace's wrong answers (docs/audits.md).
 */
final class AuditRoutes {
  private static final Set<String> AUDIT_FIELDS = Set.of("namespace", "fresh_response", "verdict", "invalidate");
  private static final Set<String> FEEDBACK_FIELDS = Set.of("namespace", "lookup_id", "verdict", "invalidate");

  private final SemanticCache cache;

  AuditRoutes(SemanticCache cache) {
    this.cache = cache;
  }

  ApiResponse list(Principal who, Route.Match m) {
    String ns = Requests.existingNamespace(cache, who, m.param());
    ApiKeys.authorizeAllScopes(who); // records carry prompts of every scope
    if (who.role() == Role.METRICS) {
      ApiKeys.authorize(who, ns, Role.READ); // figures, not prompts: refused
    }
    String limitText = m.queryParam("limit");
    int limit = 100;
    if (limitText != null) {
      try {
        limit = Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 10_000) {
        throw ApiException.invalid("query parameter 'limit' must be an integer from 1 to 10000; limit='"
            + JsonBody.abbreviate(limitText) + "'");
      }
    }
    String cursor = m.queryParam("cursor");
    if (cursor != null && !CURSOR.matcher(cursor).matches()) {
      throw ApiException.invalid("query parameter 'cursor' must be a next_cursor of an earlier page; cursor='"
          + JsonBody.abbreviate(cursor) + "'");
    }
    ObjectNode out = JsonBody.MAPPER.createObjectNode().put("namespace", ns);
    var list = out.putArray("audits");
    // Newest first, by a key that is unique and sorts as the time does. A page ends at `limit` records or
    // at about MAX_PAGE_BYTES of JSON, whichever comes first, so that no answer is larger than that for a
    // client to leave unread; next_cursor goes on from its last record.
    List<AuditRecord> all = new ArrayList<>(cache.analytics().recent(ns, Integer.MAX_VALUE));
    all.sort(Comparator.comparing(AuditRoutes::pageKey).reversed());
    long bytes = 0;
    String last = null;
    boolean more = false;
    for (AuditRecord r : all) {
      String key = pageKey(r);
      if (cursor != null && key.compareTo(cursor) >= 0) {
        continue;
      }
      if (list.size() == limit || bytes > MAX_PAGE_BYTES) {
        more = true;
        break;
      }
      list.add(auditJson(r));
      bytes += 512 + 2L * (r.prompt().length() + r.matchedPrompt().length());
      last = key;
    }
    if (more) {
      out.put("next_cursor", last);
    } else {
      out.putNull("next_cursor");
    }
    return json(HttpResponseStatus.OK, out);
  }

  /** Bytes of JSON after which a page of audits ends, whatever its limit. */
  static final long MAX_PAGE_BYTES = 1 << 20;
  private static final Pattern CURSOR = Pattern.compile("[0-9a-f]{16}-l[0-9a-f]{32}-[a-z_]{1,32}");

  private static String pageKey(AuditRecord r) {
    return String.format("%016x-%s-%s", r.judgedAtMillis(), r.lookupId(), r.source());
  }

  CompletableFuture<ApiResponse> audit(Principal who, String idParam, JsonBody body) {
    String lookupId = Requests.lookupId(idParam);
    body.only(AUDIT_FIELDS);
    String ns = Requests.namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    String fresh = body.optionalString("fresh_response").orElse(null);
    if (fresh != null && fresh.isBlank()) {
      throw ApiException.invalid("'fresh_response' must be the model's answer, not blank");
    }
    Verdict verdict = body.optionalString("verdict").map(Requests::verdict).orElse(null);
    boolean invalidate = body.optionalBoolean("invalidate").orElse(false);
    return Answers.guard(() -> cache.audit(ns, lookupId, fresh, verdict, invalidate))
        .thenApply(r -> {
          WriteLog.judged(who, ns, "audit", lookupId, r.verdict(), r.entryId(), r.invalidated());
          return json(HttpResponseStatus.CREATED, auditJson(r));
        });
  }

  ApiResponse feedback(Principal who, JsonBody body) {
    body.only(FEEDBACK_FIELDS);
    String ns = Requests.namespace(body.requiredString("namespace"));
    ApiKeys.authorize(who, ns, Role.WRITE);
    String lookupId = Requests.lookupId(body.requiredString("lookup_id"));
    Verdict verdict = Requests.verdict(body.requiredString("verdict"));
    boolean invalidate = body.optionalBoolean("invalidate").orElse(false);
    AuditRecord r = cache.feedback(ns, lookupId, verdict, invalidate);
    WriteLog.judged(who, ns, "feedback", lookupId, r.verdict(), r.entryId(), r.invalidated());
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("lookup_id", r.lookupId());
    out.put("namespace", r.namespace());
    out.put("verdict", r.verdict());
    out.put("recorded", true);
    out.put("invalidated", r.invalidated());
    return json(HttpResponseStatus.ACCEPTED, out);
  }

  private static ObjectNode auditJson(AuditRecord r) {
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("lookup_id", r.lookupId());
    out.put("namespace", r.namespace());
    out.put("kind", r.kind());
    out.put("verdict", r.verdict());
    out.put("source", r.source());
    out.put("similarity", r.similarity());
    out.put("threshold", r.threshold());
    if (r.answerSimilarity() == null) {
      out.putNull("answer_similarity");
    } else {
      out.put("answer_similarity", r.answerSimilarity());
    }
    if (r.judgeProbability() != null) {
      out.put("judge_probability", r.judgeProbability());
    }
    out.put("prompt", r.prompt());
    out.put("matched_prompt", r.matchedPrompt());
    out.put("entry_id", r.entryId());
    out.put("invalidated", r.invalidated());
    out.put("looked_up_at", Instant.ofEpochMilli(r.lookedUpAtMillis()).toString());
    out.put("judged_at", Instant.ofEpochMilli(r.judgedAtMillis()).toString());
    return out;
  }

  private static Verdict verdict(String v) {
    try {
      return Verdict.parse(v);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(e.getMessage());
    }
  }
}
