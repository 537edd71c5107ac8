package dev.semcache.server.http;

import static dev.semcache.server.http.Answers.json;
import static dev.semcache.server.http.Answers.putRate;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.NamespaceConfig;
import dev.semcache.server.audit.AuditCounts;
import dev.semcache.server.audit.NamespaceStats;
import dev.semcache.server.audit.Proportion;
import dev.semcache.server.audit.SimilarityHistogram;
import dev.semcache.server.audit.ThresholdCurve;
import dev.semcache.server.cache.SemanticCache;
import dev.semcache.server.http.ApiKeys.Principal;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Instant;

/**
 * {@code GET /v1/namespaces/{ns}/stats} and {@code /analysis}: what a namespace served, what its audits
 * measured, and the threshold and verified-mode figures an operator tunes by (docs/audits.md).
 */
final class FigureRoutes {
  /** Minutes of hit-rate history in a stats answer. */
  static final int SERIES_MINUTES = 360;

  private final SemanticCache cache;

  FigureRoutes(SemanticCache cache) {
    this.cache = cache;
  }

  ApiResponse stats(Principal who, String name) {
    String ns = Requests.existingNamespace(cache, who, name);
    NamespaceConfig config = cache.namespaceConfig(ns);
    NamespaceStats st = cache.analytics().totals(ns);
    AuditCounts c = cache.analytics().counts(ns);
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("namespace", ns);
    out.put("since", Instant.ofEpochMilli(st.sinceMillis()).toString());
    out.put("threshold", config.threshold());
    out.put("target_false_hit_rate", config.targetFalseHitRate());
    out.put("lookups", st.lookups());
    out.put("exact_hits", st.exactHits());
    out.put("semantic_hits", st.semanticHits());
    out.put("misses", st.misses());
    out.put("hit_rate", st.hitRate());
    out.put("stores", st.stores());
    out.put("entries", cache.entryCount(ns));
    ObjectNode audits = out.putObject("audits");
    audits.put("sampled", st.sampled());
    audits.put("audited", c.audited());
    audits.put("audited_hits", c.auditedHits());
    audits.put("correct", c.hitsJudgedCorrect());
    audits.put("false_hits", c.hitsJudgedFalse());
    audits.put("near_miss_audited", c.nearMissesAudited());
    audits.put("feedback_false_hits", c.feedbackFalse());
    audits.put("feedback_correct", c.feedbackCorrect());
    Proportion rate = c.falseHitRate(config.threshold());
    ObjectNode fhr = out.putObject("false_hit_rate");
    putRate(fhr, rate);
    fhr.put("confidence", rate.confidence());
    fhr.put("audited_hits", rate.trials());
    ObjectNode hist = out.putObject("histograms");
    hist.put("bin_width", SimilarityHistogram.WIDTH);
    hist.put("bins", SimilarityHistogram.BINS);
    hist.set("hits", JsonBody.MAPPER.valueToTree(st.hitHistogram()));
    hist.set("misses", JsonBody.MAPPER.valueToTree(st.missHistogram()));
    hist.set("correct", JsonBody.MAPPER.valueToTree(c.correctHistogram()));
    hist.set("false_hits", JsonBody.MAPPER.valueToTree(c.falseHistogram()));
    NamespaceStats.Series series = st.series(cache.clock().millis(), SERIES_MINUTES);
    ObjectNode ser = out.putObject("series");
    ser.put("step_s", 60);
    ser.put("start", Instant.ofEpochMilli(series.startMinute() * 60_000).toString());
    ser.set("lookups", JsonBody.MAPPER.valueToTree(series.lookups()));
    ser.set("hits", JsonBody.MAPPER.valueToTree(series.hits()));
    return json(HttpResponseStatus.OK, out);
  }

  ApiResponse analysis(Principal who, String name) {
    String ns = Requests.existingNamespace(cache, who, name);
    NamespaceConfig config = cache.namespaceConfig(ns);
    ThresholdCurve.Result r = cache.analytics().analysis(ns, config);
    NamespaceStats st = cache.analytics().totals(ns);
    ObjectNode out = JsonBody.MAPPER.createObjectNode();
    out.put("namespace", ns);
    out.put("threshold", config.threshold());
    out.put("target_false_hit_rate", config.targetFalseHitRate());
    out.put("confidence", Proportion.CONFIDENCE);
    out.put("lookups", st.lookups());
    out.put("audited", cache.analytics().counts(ns).audited());
    if (Double.isNaN(st.auditFloor())) {
      out.putNull("audit_floor");
    } else {
      out.put("audit_floor", st.auditFloor());
    }
    if (Double.isNaN(r.recommended())) {
      out.putNull("recommended_threshold");
    } else {
      out.put("recommended_threshold", r.recommended());
    }
    out.put("recommendation", r.why());
    out.put("decision", config.decision().value());
    verifiedJson(out.putObject("verified"), ns, config);
    var curve = out.putArray("curve");
    for (ThresholdCurve.Point p : r.points()) {
      ObjectNode o = curve.addObject();
      o.put("threshold", p.threshold());
      o.put("hit_rate", p.hitRate());
      o.put("hits", p.hits());
      o.put("audited", p.rate().trials());
      o.put("false_hits", p.rate().successes());
      ObjectNode rate = JsonBody.MAPPER.createObjectNode();
      putRate(rate, p.rate());
      o.set("false_hit_rate", rate.get("estimate"));
      o.set("lower", rate.get("lower"));
      o.set("upper", rate.get("upper"));
      o.put("covered", p.covered());
    }
    return json(HttpResponseStatus.OK, out);
  }

  /**
   * The figures of per-entry verification (docs/verified.md): what it decided since the server started,
   * how many entries still decide by the namespace's pooled prior, and the measured wrong share of served
   * semantic hits (audited hits, with their interval) beside the bound it must stay under.
   */
  private void verifiedJson(ObjectNode out, String ns, NamespaceConfig config) {
    var f = cache.verifier().figures(ns, config, cache.entryCount(ns));
    out.put("max_false_hit_rate", f.maxFalseHitRate());
    out.put("confidence", f.confidence());
    out.put("lookups", f.lookups());
    out.put("hits", f.hits());
    out.put("explores", f.explores());
    out.put("misses", f.misses());
    if (f.exploreRate() == null) {
      out.putNull("explore_rate");
    } else {
      out.put("explore_rate", f.exploreRate());
    }
    out.put("entries", f.entries());
    out.put("entries_with_verdicts", f.entriesWithVerdicts());
    out.put("warm_entries", f.warmEntries());
    out.put("cold_entries", f.coldEntries());
    if (f.coldServesFrom() == null) {
      out.putNull("cold_serves_from");
    } else {
      out.put("cold_serves_from", f.coldServesFrom());
    }
    AuditCounts c = cache.analytics().counts(ns);
    ObjectNode measured = out.putObject("measured_false_hit_rate");
    putRate(measured, Proportion.of(c.hitsJudgedFalse(), c.auditedHits()));
    measured.put("audited_hits", c.auditedHits());
    out.put("bound_met", c.auditedHits() > 0
        && Proportion.of(c.hitsJudgedFalse(), c.auditedHits()).estimate() <= config.maxFalseHitRate());
  }
}
