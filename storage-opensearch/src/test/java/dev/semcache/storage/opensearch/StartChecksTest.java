package dev.semcache.storage.opensearch;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.semcache.index.CacheStorageContractTest;
import dev.semcache.index.ManualClock;
import dev.semcache.index.StorageUnavailableException;
import dev.semcache.opensearch.testcluster.TestCluster;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link OpenSearchCacheStorage#open} refuses, with a message naming the cause, before it creates
 * anything: a cluster that does not answer, and a real one-node cluster without the k-NN plugin (as a
 * cluster installed from the minimal distribution is). Both fail at start, not at the first lookup.
 */
class StartChecksTest {
  private final ManualClock clock = new ManualClock();

  @Test
  void anUnreachableClusterIsAClearErrorAtStart() {
    String host = "http://127.0.0.1:" + TestCluster.freePort();
    OpenSearchOptions nowhere = OpenSearchOptions.defaults().withHosts(List.of(host))
        .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2));
    assertThatThrownBy(() -> OpenSearchCacheStorage.open(nowhere, CacheStorageContractTest.OPTIONS, clock))
        .isInstanceOf(StorageUnavailableException.class)
        .hasMessageStartingWith("OpenSearch cluster at " + host + " is unreachable (")
        .hasMessageContaining("Connect");
  }

  @Test
  void aClusterWithoutTheKnnPluginIsRefusedAtStart(@TempDir Path home) {
    try (TestCluster plain = TestCluster.startWithoutKnn(home)) {
      OpenSearchOptions os = OpenSearchOptions.defaults().withHosts(plain.liveUrls()).withLayout(1, 0);
      assertThatThrownBy(() -> OpenSearchCacheStorage.open(os, CacheStorageContractTest.OPTIONS, clock))
          .isInstanceOf(IllegalStateException.class)
          .hasMessage("OpenSearch node node-0 of the cluster at " + plain.hosts() + " has no k-NN plugin"
              + " (opensearch-knn); semcache's semantic search needs it on every node: install it"
              + " (bin/opensearch-plugin install opensearch-knn) or use the full OpenSearch distribution");
      // nothing was created in the refused cluster
      assertThatThrownBy(() -> plain.get(plain.hosts() + "/semcache-entries/_mapping"))
          .hasMessageContaining("answered 404");
    }
  }
}
