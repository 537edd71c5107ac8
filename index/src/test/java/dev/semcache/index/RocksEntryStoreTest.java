package dev.semcache.index;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RocksEntryStoreTest extends EntryStoreContractTest {

  @Override
  EntryStore open(Path dir) {
    return RocksEntryStore.open(dir, 8 << 20, false);
  }

  @Test
  void truncatedEntryValueIsReportedNotMisread() {
    Entry e = entry("a", "faq", Scope.of(Map.of("m", "x")), "prompt", 0, 1000);
    byte[] value = EntryCodec.encode(e);
    for (int cut = 0; cut < value.length; cut += 7) {
      byte[] truncated = Arrays.copyOf(value, cut);
      assertThatThrownBy(() -> EntryCodec.decode("a", truncated, e.stats()))
          .isInstanceOf(CorruptEntryException.class);
    }
    assertThat(EntryCodec.decode("a", value, e.stats())).usingRecursiveComparison().isEqualTo(e);
    assertThat(EntryCodec.decodeNamespace("a", value)).isEqualTo("faq");
    assertThatThrownBy(() -> EntryCodec.decodeNamespace("a", Arrays.copyOf(value, 20)))
        .isInstanceOf(CorruptEntryException.class);
  }

  @Test
  void anEntryDecodedWithoutItsEmbeddingIsCheckedAsFullyAndDiffersOnlyThere() {
    Entry e = entry("a", "faq", Scope.of(Map.of("m", "x")), "prompt", 0, 1000);
    byte[] value = EntryCodec.encode(e);
    Entry slim = EntryCodec.decode("a", value, e.stats(), false);
    assertThat(slim.embedding()).isEmpty();
    assertThat(slim).usingRecursiveComparison().ignoringFields("embedding").isEqualTo(e);
    for (int cut = 0; cut < value.length; cut += 7) {
      byte[] truncated = Arrays.copyOf(value, cut);
      assertThatThrownBy(() -> EntryCodec.decode("a", truncated, e.stats(), false))
          .isInstanceOf(CorruptEntryException.class);
    }
    byte[] trailing = Arrays.copyOf(value, value.length + 1);
    assertThatThrownBy(() -> EntryCodec.decode("a", trailing, e.stats(), false))
        .isInstanceOf(CorruptEntryException.class);
  }

  /**
   * The exact path keeps the text of hot entries decoded: a second read must still see new hit
   * statistics and expiry, and a removal, as the first did.
   */
  @Test
  void aHotEntryReadFromMemoryShowsNewStatsAndItsRemoval(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    try (RocksEntryStore store = RocksEntryStore.open(dir, 8 << 20, false)) {
      Entry e = entry("a", "faq", Scope.of(Map.of("m", "x")), "prompt", 0, 1000);
      Entry other = entry("b", "faq", Scope.EMPTY, "other", 0, 1000);
      store.put(e);
      store.put(other);
      Entry first = store.getInMemoryWithoutEmbedding("a").orElseThrow();
      assertThat(first).usingRecursiveComparison().ignoringFields("embedding").isEqualTo(e);
      for (int round = 1; round <= 3; round++) {
        EntryStats newer = new EntryStats(5_000L * round, round, 100L * round);
        store.updateStats(Map.of("a", newer));
        Entry again = store.getInMemoryWithoutEmbedding("a").orElseThrow();
        assertThat(again.stats()).isEqualTo(newer);
        assertThat(again).usingRecursiveComparison().ignoringFields("embedding", "expiresAtMillis", "hitCount",
            "lastHitAtMillis").isEqualTo(e);
      }
      store.remove("a");
      assertThat(store.getInMemoryWithoutEmbedding("a")).isEmpty();
      assertThat(store.get("a")).isEmpty();
      assertThat(store.getInMemoryWithoutEmbedding("b").orElseThrow().response()).isEqualTo(other.response());
    }
  }

  @Test
  void unknownFormatIsRefused() {
    byte[] value = EntryCodec.encode(entry("a", "faq", Scope.EMPTY, "p", 0, 1000));
    value[0] = 9;
    assertThatThrownBy(() -> EntryCodec.decode("a", value, new EntryStats(1, 0, 0)))
        .isInstanceOf(CorruptEntryException.class)
        .hasMessage("entry a has value format 9; this build reads format 1");
  }

  @Test
  void namespaceConfigMissingNewerSettingsTakesDefaults() {
    NamespaceConfig c = NamespaceConfigCodec.decode("faq", "{\"format\":1,\"threshold\":0.8}".getBytes());
    assertThat(c).isEqualTo(NamespaceConfig.defaults().withThreshold(0.8));
    assertThat(c.decision()).isEqualTo(DecisionMode.STATIC);
    assertThatThrownBy(() -> NamespaceConfigCodec.decode("faq", "{\"format\":5}".getBytes()))
        .isInstanceOf(CorruptEntryException.class)
        .hasMessage("config of namespace faq has format 5; this build reads formats 1 to 4");
  }

  /** A format 1 record (written before proxy mode) reads with proxy mode's settings at their defaults. */
  @Test
  void namespaceConfigFormat1ReadsWithProxyDefaultsAndFormat2RoundTrips() {
    String v1 = "{\"format\":1,\"threshold\":0.85,\"ttl_s\":60,\"max_ttl_s\":120,\"max_entries\":10,"
        + "\"sliding_ttl\":true,\"audit_rate\":0.5,\"target_false_hit_rate\":0.05,\"prompt_overflow\":\"truncate\","
        + "\"answer_threshold\":0.8,\"near_miss_audit_band\":0.05}";
    NamespaceConfig old = NamespaceConfigCodec.decode("faq", v1.getBytes());
    assertThat(old.threshold()).isEqualTo(0.85);
    assertThat(old.fingerprintWindow()).isEqualTo(-1);
    assertThat(old.cacheNondeterministic()).isFalse();
    assertThat(old.cacheNonText()).isFalse();
    NamespaceConfig changed = old.withProxy(4, true, true);
    String encoded = new String(NamespaceConfigCodec.encode(changed));
    assertThat(encoded).contains("\"format\":4").contains("\"fingerprint_window\":4");
    assertThat(NamespaceConfigCodec.decode("faq", encoded.getBytes())).isEqualTo(changed);
  }

  /** Format 3 carries the decision mode; format 2 (before it) reads as a static namespace. */
  @Test
  void namespaceConfigFormat3CarriesTheDecisionMode() {
    NamespaceConfig verified = NamespaceConfig.defaults().withDecision(DecisionMode.VERIFIED, 0.05);
    byte[] stored = NamespaceConfigCodec.encode(verified);
    assertThat(new String(stored)).startsWith("{\"format\":4,").contains("\"decision\":\"verified\"");
    assertThat(NamespaceConfigCodec.decode("faq", stored)).isEqualTo(verified);
    NamespaceConfig v2 = NamespaceConfigCodec.decode("faq", "{\"format\":2,\"fingerprint_window\":3}".getBytes());
    assertThat(v2.decision()).isEqualTo(DecisionMode.STATIC);
    assertThat(v2.maxFalseHitRate()).isEqualTo(NamespaceConfig.DEFAULT_MAX_FALSE_HIT_RATE);
    assertThatThrownBy(() -> NamespaceConfigCodec.decode("faq", "{\"format\":3,\"decision\":\"dynamic\"}".getBytes()))
        .isInstanceOf(CorruptEntryException.class)
        .hasMessageContaining("decision must be 'static' or 'verified'; decision='dynamic'");
  }

  /** Format 4 carries the second-stage judge switch; format 3 (before it) reads with the judge off. */
  @Test
  void namespaceConfigFormat4CarriesTheSecondStageJudge() {
    NamespaceConfig judged = NamespaceConfig.defaults().withDecision(DecisionMode.VERIFIED, 0.02).withSecondStageJudge(true);
    byte[] stored = NamespaceConfigCodec.encode(judged);
    assertThat(new String(stored)).startsWith("{\"format\":4,").contains("\"second_stage_judge\":true");
    assertThat(NamespaceConfigCodec.decode("faq", stored)).isEqualTo(judged);
    NamespaceConfig v3 = NamespaceConfigCodec.decode("faq", "{\"format\":3,\"decision\":\"verified\"}".getBytes());
    assertThat(v3.secondStageJudge()).isFalse();
  }
}
