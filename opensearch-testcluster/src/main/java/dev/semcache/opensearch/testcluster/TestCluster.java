package dev.semcache.opensearch.testcluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A real OpenSearch cluster with the k-NN plugin for tests and benchmarks: {@code n} nodes, each its own
 * JVM ({@link ClusterNode}) on free loopback ports, started from the Maven Central artifacts this module
 * was built with. Uses the JDK only, so that the modules using it never see OpenSearch's classes (which
 * bring a Lucene other than semcache's).
 *
 * <p>Each node gets a small heap; start takes seconds on an idle machine and can take a minute on a
 * loaded one, so {@link #start} waits generously and logs its progress to {@code System.err}.
 */
public final class TestCluster implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofMinutes(4);

  /** JVM flags of a test node: small, and quick to start (C1 only: most of a test node's life is its start). */
  public static final List<String> TEST_JVM = List.of("-Xms256m", "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
  /** JVM flags of a node measured by a benchmark: the full JIT, as a production node runs. */
  public static final List<String> BENCH_JVM = List.of("-Xms1g", "-Xmx1g");

  private final String name;
  private final Path home;
  private final List<String> jvmFlags;
  private final boolean knn;
  private final List<Node> nodes;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** One node process. */
  public static final class Node {
    private final String name;
    private final int httpPort;
    private final int transportPort;
    private final Path home;
    private Process process;

    Node(String name, int httpPort, int transportPort, Path home) {
      this.name = name;
      this.httpPort = httpPort;
      this.transportPort = transportPort;
      this.home = home;
    }

    public String name() {
      return name;
    }

    public int httpPort() {
      return httpPort;
    }

    /** {@code http://127.0.0.1:port}. */
    public String url() {
      return "http://127.0.0.1:" + httpPort;
    }

    public boolean isAlive() {
      return process != null && process.isAlive();
    }

    /** Kills the node's process at once (SIGKILL): no shutdown, no flush, as a crash or power cut would. */
    public void kill() {
      if (process != null) {
        process.destroyForcibly();
        try {
          process.waitFor();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    Path log() {
      return home.resolve("node.log");
    }
  }

  private TestCluster(String name, Path home, List<Node> nodes, List<String> jvmFlags, boolean knn) {
    this.name = name;
    this.home = home;
    this.nodes = nodes;
    this.jvmFlags = jvmFlags;
    this.knn = knn;
  }

  /**
   * Starts a cluster of {@code size} nodes below {@code home} and waits until it is green with every node
   * joined.
   */
  public static TestCluster start(int size, Path home) {
    return start(size, home, TEST_JVM);
  }

  /** {@link #start(int, Path)} with these JVM flags for each node ({@link #TEST_JVM}, {@link #BENCH_JVM}). */
  public static TestCluster start(int size, Path home, List<String> jvmFlags) {
    return start(size, home, jvmFlags, true);
  }

  /**
   * One node <em>without</em> the k-NN plugin, as a cluster installed from the minimal distribution is: what
   * semcache must refuse at start, with a message naming the missing plugin.
   */
  public static TestCluster startWithoutKnn(Path home) {
    return start(1, home, TEST_JVM, false);
  }

  private static TestCluster start(int size, Path home, List<String> jvmFlags, boolean knn) {
    String name = "semcache-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime() % 100_000;
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      nodes.add(new Node("node-" + i, freePort(), freePort(), home.resolve("node-" + i)));
    }
    TestCluster cluster = new TestCluster(name, home, nodes, List.copyOf(jvmFlags), knn);
    try {
      for (Node n : nodes) {
        cluster.launch(n);
      }
      cluster.awaitHealthy(size, START_TIMEOUT);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
    return cluster;
  }

  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  public Node node(int i) {
    return nodes.get(i);
  }

  /** The HTTP addresses of every node, comma-separated: {@code http://127.0.0.1:p1,http://127.0.0.1:p2}. */
  public String hosts() {
    return nodes.stream().map(Node::url).collect(Collectors.joining(","));
  }

  /**
   * A node that is not the elected cluster manager. With two manager-eligible nodes the voting
   * configuration holds one of them, so a cluster survives the loss of the other one only: tests that kill
   * a node kill this one (a production cluster runs three manager-eligible nodes).
   */
  public Node nonManagerNode() {
    String manager = get(liveUrls().get(0) + "/_cat/cluster_manager?h=node").strip();
    return nodes.stream().filter(n -> n.isAlive() && !n.name.equals(manager)).findFirst()
        .orElseThrow(() -> new IllegalStateException("no live node other than the manager " + manager));
  }

  /** A PUT of a JSON body on the cluster, its answer's body (any 2xx answer; others throw). */
  public String put(String url, String json) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(json)).build());
  }

  /** A GET on the cluster, its body. */
  public String get(String url) {
    return send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET().build());
  }

  private String send(HttpRequest request) {
    try {
      HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() / 100 != 2) {
        throw new IllegalStateException(request.method() + " " + request.uri() + " answered " + r.statusCode() + ": "
            + r.body());
      }
      return r.body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** The HTTP addresses of the nodes still running. */
  public List<String> liveUrls() {
    return nodes.stream().filter(Node::isAlive).map(Node::url).toList();
  }

  private void launch(Node n) {
    try {
      Files.createDirectories(n.home);
      String seeds = nodes.stream().map(x -> "127.0.0.1:" + x.transportPort).collect(Collectors.joining(","));
      String managers = nodes.stream().map(Node::name).collect(Collectors.joining(","));
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.addAll(jvmFlags);
      cmd.addAll(List.of(
          "-Djava.awt.headless=true", "-Dlog4j2.disable.jmx=true", "-Dlog4j.shutdownHookEnabled=false",
          "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
          "-cp", classPath(),
          ClusterNode.class.getName(),
          "cluster=" + name, "node=" + n.name, "home=" + n.home, "http=" + n.httpPort,
          "transport=" + n.transportPort, "seeds=" + seeds, "managers=" + managers,
          "parent=" + ProcessHandle.current().pid(), "knn=" + knn));
      n.process = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(n.log().toFile()).start();
      log("started " + n.name + " (pid " + n.process.pid() + ", http " + n.httpPort + ", log " + n.log() + ")");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start OpenSearch node " + n.name, e);
    }
  }

  /** Waits until {@code expectedNodes} nodes are joined and the cluster is green (no index, or all replicas up). */
  public void awaitHealthy(int expectedNodes, Duration timeout) {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long nextLog = start + Duration.ofSeconds(10).toNanos();
    String last = "no answer yet";
    while (System.nanoTime() < deadline) {
      for (Node n : nodes) {
        if (n.process != null && !n.process.isAlive() && n.process.exitValue() != 137 && n.process.exitValue() != 143) {
          throw new IllegalStateException("OpenSearch node " + n.name + " exited with " + n.process.exitValue()
              + "; its log:\n" + tail(n.log()));
        }
      }
      for (String url : liveUrls()) {
        try {
          HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url
                  + "/_cluster/health?wait_for_nodes=" + expectedNodes + "&wait_for_status=green&timeout=2s"))
              .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
          last = r.statusCode() + " " + r.body();
          if (r.statusCode() == 200 && r.body().contains("\"timed_out\":false")) {
            log("cluster " + name + " ready: " + expectedNodes + " nodes, green, after "
                + Duration.ofNanos(System.nanoTime() - start).toMillis() + " ms");
            return;
          }
        } catch (IOException e) {
          last = e.toString();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for the cluster", e);
        }
        break;
      }
      if (System.nanoTime() > nextLog) {
        log("waiting for cluster " + name + " (" + expectedNodes + " nodes, green): "
            + Duration.ofNanos(System.nanoTime() - start).toSeconds() + " s so far; last answer: " + last);
        nextLog += Duration.ofSeconds(10).toNanos();
      }
      sleep(250);
    }
    StringBuilder logs = new StringBuilder();
    for (Node n : nodes) {
      logs.append("\n--- ").append(n.name).append(" ---\n").append(tail(n.log()));
    }
    throw new IllegalStateException("OpenSearch cluster " + name + " not healthy within " + timeout
        + "; last answer: " + last + logs);
  }

  /** Stops every node (SIGKILL: the data is thrown away) and deletes the cluster's files. */
  @Override
  public void close() {
    for (Node n : nodes) {
      n.kill();
    }
    deleteRecursively(home);
  }

  // ---------------------------------------------------------------- class path

  /** This module's classes, the k-NN plugin's jars and OpenSearch's, as written at build time. */
  static String classPath() {
    Properties p = new Properties();
    try (InputStream in = TestCluster.class.getResourceAsStream("/opensearch-testcluster.properties");
        InputStream cp = TestCluster.class.getResourceAsStream("/opensearch-node.classpath")) {
      if (in == null || cp == null) {
        throw new IllegalStateException("opensearch-testcluster was not built (its class path files are missing)");
      }
      p.load(in);
      String deps = new String(cp.readAllBytes(), StandardCharsets.UTF_8).strip();
      return p.getProperty("classes") + java.io.File.pathSeparator + p.getProperty("knn.plugin") + "/*"
          + java.io.File.pathSeparator + deps;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** A free loopback port (free now; the node binds it a moment later). */
  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private static void log(String s) {
    System.err.println("[test-cluster] " + s);
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      log("could not delete " + dir + ": " + e);
    }
  }

  /** Starts a cluster by hand: {@code java -cp ... TestCluster SIZE DIR}; runs until killed. */
  public static void main(String[] args) throws Exception {
    int size = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    Path dir = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("semcache-cluster");
    try (TestCluster c = start(size, dir)) {
      System.out.println(c.hosts());
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
