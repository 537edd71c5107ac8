package dev.semcache.opensearch.testcluster;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.codelibs.opensearch.runner.node.OpenSearchRunnerNode;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;

/**
 * One OpenSearch node with the k-NN plugin, in this JVM: the process {@link TestCluster} starts for each
 * node of a test cluster (so that a test can kill one with SIGKILL). Runs until killed or stopped.
 *
 * <p>Arguments, all required, as {@code name=value}: {@code cluster}, {@code node}, {@code home} (data,
 * logs and config live below it), {@code http} and {@code transport} (loopback ports), {@code seeds} (the
 * transport addresses of every node, comma-separated) and {@code managers} (the node names that may
 * bootstrap the cluster, comma-separated); optional {@code parent}: a process id whose end ends this node,
 * and {@code knn=false}: start without the k-NN plugin (a cluster semcache must refuse).
 */
public final class ClusterNode {
  private ClusterNode() {}

  static final String KNN_PLUGIN = "org.opensearch.knn.plugin.KNNPlugin";
  /** Plugins a semcache cluster needs: scripted hit counts (painless), k-NN, reindex-free delete-by-query. */
  private static final List<String> PLUGINS = List.of(
      "org.opensearch.transport.Netty4ModulePlugin",
      "org.opensearch.painless.PainlessModulePlugin",
      "org.opensearch.index.reindex.ReindexModulePlugin",
      "org.opensearch.analysis.common.CommonAnalysisModulePlugin",
      "org.opensearch.index.mapper.MapperExtrasModulePlugin",
      KNN_PLUGIN);

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      if (eq < 0) {
        throw new IllegalArgumentException("arguments are name=value; got " + arg);
      }
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    watchParent(a.get("parent"));
    Path home = Path.of(required(a, "home"));
    Files.createDirectories(home.resolve("config"));
    Files.createDirectories(home.resolve("data"));
    Files.createDirectories(home.resolve("logs"));
    Settings settings = Settings.builder()
        .put("cluster.name", required(a, "cluster"))
        .put("node.name", required(a, "node"))
        .put("path.home", home.toString())
        .put("path.data", home.resolve("data").toString())
        .put("path.logs", home.resolve("logs").toString())
        .put("network.host", "127.0.0.1")
        .put("http.port", required(a, "http"))
        .put("transport.port", required(a, "transport"))
        .putList("discovery.seed_hosts", List.of(required(a, "seeds").split(",")))
        .putList("cluster.initial_cluster_manager_nodes", List.of(required(a, "managers").split(",")))
        // a shared test machine: its disk use says nothing about this cluster
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        // a node that leaves is noticed in seconds, not the production minute
        .put("cluster.fault_detection.follower_check.interval", "500ms")
        .put("cluster.fault_detection.follower_check.timeout", "2s")
        .put("cluster.fault_detection.follower_check.retry_count", 2)
        .put("cluster.fault_detection.leader_check.interval", "500ms")
        .put("cluster.fault_detection.leader_check.timeout", "2s")
        .put("cluster.fault_detection.leader_check.retry_count", 2)
        .put("node.processors", 1)
        // semcache creates its indices with their mappings; a write to a missing one is a bug, not a new index
        .put("action.auto_create_index", false)
        .put("logger.level", "WARN")
        .build();
    LogConfigurator.configureWithoutConfig(settings);
    Environment env = InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), home.resolve("config"),
        () -> a.get("node"));
    boolean knn = !"false".equals(a.get("knn"));
    List<Class<? extends Plugin>> plugins = new java.util.ArrayList<>();
    for (String name : PLUGINS) {
      if (!knn && name.equals(KNN_PLUGIN)) {
        continue;
      }
      plugins.add(Class.forName(name).asSubclass(Plugin.class));
    }
    Node node = new OpenSearchRunnerNode(env, plugins);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception e) {
        e.printStackTrace();
      }
      stopped.countDown();
    }));
    node.start();
    System.out.println("semcache-testcluster: node " + a.get("node") + " started, http 127.0.0.1:" + a.get("http"));
    System.out.flush();
    stopped.await();
  }

  /**
   * Exits when the process that started this node is gone (a test JVM that was killed cannot stop its
   * nodes), so that no node outlives its test run.
   */
  private static void watchParent(String pid) {
    if (pid == null) {
      return;
    }
    ProcessHandle parent = ProcessHandle.of(Long.parseLong(pid)).orElse(null);
    Thread t = new Thread(() -> {
      while (parent != null && parent.isAlive()) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          return;
        }
      }
      Runtime.getRuntime().halt(3);
    }, "parent-watch");
    t.setDaemon(true);
    t.start();
  }

  private static String required(Map<String, String> a, String name) {
    String v = a.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException("missing argument " + name + "=...");
    }
    return v;
  }
}
