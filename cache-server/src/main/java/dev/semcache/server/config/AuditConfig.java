package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.semcache.server.audit.Analytics;
import java.time.Duration;

/**
 * Audits and feedback.
 *
 * @param windowS how long after a lookup an audit or a feedback may name it, in seconds
 * @param rememberedLookups lookups remembered at most within that window (every hit, and near misses
 *     sampled for audit); an older one is refused as unknown
 * @param seed seed of the audit sampling, for reproducible experiments; 0 means a random one
 * @param retentionDays how long audit and feedback verdicts are kept and counted, in days
 */
public record AuditConfig(
    @JsonProperty("window_s") long windowS,
    @JsonProperty("remembered_lookups") long rememberedLookups,
    @JsonProperty("seed") long seed,
    @JsonProperty("retention_days") long retentionDays) {

  public AuditConfig {
    HttpConfig.positive("audits.window_s", windowS);
    HttpConfig.positive("audits.remembered_lookups", rememberedLookups);
    HttpConfig.positive("audits.retention_days", retentionDays);
  }

  public static AuditConfig defaults() {
    Analytics.Settings d = Analytics.Settings.defaults();
    return new AuditConfig(d.window().toSeconds(), d.rememberedLookups(), 0, d.retention().toDays());
  }

  public Analytics.Settings toSettings() {
    return new Analytics.Settings(Duration.ofSeconds(windowS), rememberedLookups, seed == 0 ? null : seed,
        Duration.ofDays(retentionDays));
  }

  /** The settings, with the byte bound and namespace share of {@code limits}. */
  public Analytics.Settings toSettings(LimitsConfig limits) {
    return new Analytics.Settings(Duration.ofSeconds(windowS), rememberedLookups, seed == 0 ? null : seed,
        Duration.ofDays(retentionDays), limits.rememberedBytes(), limits.namespaceShare());
  }
}
