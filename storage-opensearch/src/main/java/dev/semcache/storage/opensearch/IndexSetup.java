package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.StorageOptions;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node checks and prepares on start, before it serves: that the cluster answers, that every node
 * has the k-NN plugin, that each index exists with a mapping this build can use (created if missing,
 * refused if written by a newer semcache or for vectors of another dimension), and that an entries index
 * of an older mapping version is migrated ({@link IndexMappings} lists the versions).
 */
final class IndexSetup {
  private static final Logger LOG = LoggerFactory.getLogger(IndexSetup.class);
  private static final Duration MIGRATION_TIMEOUT = Duration.ofHours(1);

  private final ClusterClient cluster;
  private final StorageOptions options;
  private final OpenSearchOptions os;
  private final Indices indices;

  IndexSetup(ClusterClient cluster, StorageOptions options, OpenSearchOptions os, Indices indices) {
    this.cluster = cluster;
    this.options = options;
    this.os = os;
    this.indices = indices;
  }

  /** Checks the cluster, then creates, checks or migrates every index. */
  void run() {
    checkCluster();
    ensureIndex(indices.configs(), IndexMappings.configs(os), false);
    ensureIndex(indices.records(), IndexMappings.records(os), false);
    ensureIndex(indices.hits(), IndexMappings.hits(os), false);
    int entries = ensureIndex(indices.entries(), IndexMappings.entries(options, os), true);
    if (entries == IndexMappings.VERSION_HITS_IN_ENTRIES) {
      migrateHitsOutOfEntries();
    }
  }

  private void checkCluster() {
    ClusterClient.Reply info = cluster.call("GET", "/", Map.of(), null);
    if (!info.ok()) {
      throw new IllegalStateException("the OpenSearch cluster at " + cluster.hosts() + " answered " + info.status()
          + " to GET /: " + ClusterClient.reason(info.body()));
    }
    ClusterClient.Reply plugins = cluster.call("GET", "/_nodes/plugins", Map.of(), null);
    if (!plugins.ok()) {
      throw new IllegalStateException("cannot list the plugins of the OpenSearch cluster at " + cluster.hosts() + ": "
          + ClusterClient.reason(plugins.body()));
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = plugins.body().path("nodes").fields(); it.hasNext(); ) {
      JsonNode node = it.next().getValue();
      boolean knn = false;
      for (JsonNode p : node.path("plugins")) {
        String name = p.path("name").asText() + " " + p.path("classname").asText();
        knn |= name.contains("opensearch-knn") || name.contains("org.opensearch.knn.plugin.KNNPlugin");
      }
      if (!knn) {
        throw new IllegalStateException("OpenSearch node " + node.path("name").asText() + " of the cluster at "
            + cluster.hosts() + " has no k-NN plugin (opensearch-knn); semcache's semantic search needs it on every"
            + " node: install it (bin/opensearch-plugin install opensearch-knn) or use the full OpenSearch distribution");
      }
    }
  }

  /** Creates the index if missing, else checks it; returns its mapping version. */
  private int ensureIndex(String index, ObjectNode body, boolean vectors) {
    ClusterClient.Reply mapping = cluster.call("GET", "/" + index + "/_mapping", Map.of(), null);
    if (mapping.status() == 404) {
      ClusterClient.Reply created = cluster.call("PUT", "/" + index, Map.of(), body);
      if (created.ok()) {
        LOG.info("created index {} (mapping version {})", index, IndexMappings.VERSION);
        return IndexMappings.VERSION;
      }
      if (!created.body().toString().contains("resource_already_exists_exception")) {
        throw new IllegalStateException("cannot create index " + index + " in the OpenSearch cluster at "
            + cluster.hosts() + ": " + ClusterClient.reason(created.body()));
      }
      mapping = cluster.call("GET", "/" + index + "/_mapping", Map.of(), null); // another node made it first
    }
    if (!mapping.ok()) {
      throw new IllegalStateException("cannot read the mapping of index " + index + ": "
          + ClusterClient.reason(mapping.body()));
    }
    int version = IndexMappings.versionOf(mapping.body());
    if (version < 0) {
      throw new IllegalStateException("index " + index + " in the OpenSearch cluster at " + cluster.hosts()
          + " was not created by semcache (its mapping records no " + IndexMappings.META_KEY
          + "); choose another storage.opensearch.index_prefix");
    }
    if (version > IndexMappings.VERSION) {
      throw new IllegalStateException("index " + index + " has mapping version " + version
          + ", written by a newer semcache; this build knows versions up to " + IndexMappings.VERSION
          + ": upgrade this node");
    }
    if (vectors) {
      int dimension = IndexMappings.dimensionOf(mapping.body());
      if (dimension != options.dimension()) {
        throw new IllegalStateException("index " + index + " holds " + dimension + "-dimensional vectors but the"
            + " model makes " + options.dimension() + "-dimensional ones; use another index_prefix for another model");
      }
    }
    return version;
  }

  /**
   * Version 1 to 2: copies every entry's hit figures into a hits document of the same id ({@code _reindex}
   * of those fields only; documents that exist already are kept, so that nodes starting at once, or a
   * migration run again, never overwrite a newer count), then records version 2 on the entries index.
   * Hits that nodes of version 1 still write to the entries documents meanwhile are not carried over:
   * stop them first (entries are never lost either way).
   */
  private void migrateHitsOutOfEntries() {
    LOG.warn("index {} has mapping version {} (hit figures in the entries): migrating them into {}",
        indices.entries(), IndexMappings.VERSION_HITS_IN_ENTRIES, indices.hits());
    ObjectNode body = ClusterClient.JSON.createObjectNode().put("conflicts", "proceed");
    ObjectNode source = body.putObject("source").put("index", indices.entries());
    ArrayNode fields = source.putArray("_source");
    IndexMappings.HIT_FIELDS.forEach(fields::add);
    body.putObject("dest").put("index", indices.hits()).put("op_type", "create");
    ClusterClient.Reply started = cluster.call("POST", "/_reindex",
        Map.of("wait_for_completion", "false", "refresh", "true"), body);
    ClusterRequests.requireOk(started, "start copying the hit figures of " + indices.entries());
    String task = started.body().path("task").asText();
    long deadline = System.nanoTime() + MIGRATION_TIMEOUT.toNanos();
    JsonNode status;
    long nextLog = System.nanoTime();
    while (true) {
      ClusterClient.Reply t = cluster.call("GET", "/_tasks/" + ClusterClient.segment(task), Map.of(), null);
      ClusterRequests.requireOk(t, "follow the copy of the hit figures (task " + task + ")");
      status = t.body();
      if (status.path("completed").asBoolean(false)) {
        break;
      }
      if (System.nanoTime() > nextLog) {
        JsonNode s = status.path("task").path("status");
        LOG.info("migrating hit figures into {}: {} of {} entries", indices.hits(),
            s.path("created").asLong() + s.path("version_conflicts").asLong(), s.path("total").asLong());
        nextLog = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the copy of the hit figures of " + indices.entries() + " (task " + task
            + ") did not finish within " + MIGRATION_TIMEOUT + "; it goes on in the cluster: start again when it has");
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while migrating " + indices.entries(), e);
      }
    }
    JsonNode response = status.path("response");
    if (status.has("error") || response.path("failures").size() > 0) {
      throw new IllegalStateException("copying the hit figures of " + indices.entries() + " into " + indices.hits()
          + " failed: " + (status.has("error") ? ClusterClient.reason(status) : response.path("failures").path(0)));
    }
    ObjectNode meta = ClusterClient.JSON.createObjectNode();
    meta.set("_meta", IndexMappings.entriesMeta(options.dimension()));
    ClusterRequests.requireOk(cluster.call("PUT", "/" + indices.entries() + "/_mapping", Map.of(), meta),
        "record mapping version " + IndexMappings.VERSION + " on " + indices.entries());
    LOG.warn("index {} migrated to mapping version {}: {} hit documents created, {} kept", indices.entries(),
        IndexMappings.VERSION, response.path("created").asLong(), response.path("version_conflicts").asLong());
  }
}
