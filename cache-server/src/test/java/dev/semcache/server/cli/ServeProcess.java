package dev.semcache.server.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code semcache serve} in a child JVM of its own (the test's class path, the launcher's JVM flags), on a
 * free loopback port, over a given data folder: started, waited for until {@code /readyz} says ready, and
 * killed with SIGKILL. The child's log goes to a file, which a failing assertion names.
 */
final class ServeProcess {
  private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");
  private static final HttpClient PROBE = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path log;
  private final int port;
  private final long startMillis;

  private ServeProcess(Process process, Path log, int port, long startMillis) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.startMillis = startMillis;
  }

  /**
   * Starts the server and waits until it is ready.
   *
   * @param config a YAML config file, or null for the defaults
   * @throws IllegalStateException if it exits or is not ready within {@code timeout}; the message holds the
   *     end of its log
   */
  static ServeProcess start(Path data, Path config, Path log, Duration timeout) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-Xmx512m",
        // The client compiler alone and the serial collector start the server about a third faster on two
        // busy cores; the crash test starts it 21 times and measures no speed.
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve", "--port", "0",
        "--data-dir", data.toString()));
    if (config != null) {
      cmd.addAll(List.of("--config", config.toString()));
    }
    long t0 = System.nanoTime();
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("SEMCACHE_"));
    Process p = pb.start();
    long deadline = t0 + timeout.toNanos();
    int port = -1;
    while (true) {
      if (!p.isAlive()) {
        throw new IllegalStateException("semcache serve exited with " + p.exitValue() + ":\n" + tail(log));
      }
      if (System.nanoTime() > deadline) {
        p.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        throw new IllegalStateException("semcache serve was not ready within " + timeout + ":\n" + tail(log));
      }
      if (port < 0) {
        Matcher m = LISTENING.matcher(Files.readString(log, StandardCharsets.UTF_8));
        if (m.find()) {
          port = Integer.parseInt(m.group(1));
        }
      }
      if (port > 0 && ready(port)) {
        return new ServeProcess(p, log, port, (System.nanoTime() - t0) / 1_000_000);
      }
      Thread.sleep(50);
    }
  }

  private static boolean ready(int port) throws InterruptedException {
    try {
      HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
          .timeout(Duration.ofSeconds(5)).build();
      return PROBE.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  /** Milliseconds from starting the JVM to the first {@code /readyz} answered 200. */
  long startMillis() {
    return startMillis;
  }

  Path log() {
    return log;
  }

  /** SIGKILL: no shutdown hook, no flush, no close. Returns when the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("semcache serve (pid " + process.pid() + ") did not die within 60 s of SIGKILL");
    }
  }

  void killIfAlive() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }

  /** SIGTERM: the server drains and closes its store. Returns the JVM's exit status (143 after SIGTERM). */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException("semcache serve did not stop within 60 s of SIGTERM:\n" + tail(log));
    }
    return process.exitValue();
  }

  static String tail(Path log) {
    try {
      String s = Files.readString(log, StandardCharsets.UTF_8);
      return s.length() <= 4000 ? s : "..." + s.substring(s.length() - 4000);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
