package dev.semcache.bench;

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
 * {@code semcache serve} as a process of its own, started from this JVM's class path (the bench jar holds
 * the server) with the launcher's JVM flags, on a free loopback port; its log goes to a file. What a bench
 * needs that an in-process server cannot give: the process's own memory and file handles, and a restart.
 */
final class ServerProcess {
  private static final Pattern LISTENING = Pattern.compile("listening on http://127\\.0\\.0\\.1:(\\d+)");

  private final Process process;
  private final int port;

  private ServerProcess(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /** Starts the server over {@code data} and returns once {@code /readyz} answers 200. */
  static ServerProcess start(Path data, Path config, Path log, Duration timeout) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-cp", System.getProperty("java.class.path"),
        "dev.semcache.server.cli.Main", "serve", "--port", "0", "--data-dir", data.toString()));
    if (config != null) {
      cmd.addAll(List.of("--config", config.toString()));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    long deadline = System.nanoTime() + timeout.toNanos();
    int port = -1;
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException("semcache serve exited with " + p.exitValue() + "; see " + log);
      }
      if (port < 0) {
        String text = Files.readString(log, StandardCharsets.UTF_8);
        Matcher m = LISTENING.matcher(text);
        int last = -1;
        while (m.find()) {
          last = Integer.parseInt(m.group(1)); // the log is appended to across restarts: the newest line
        }
        if (last > 0 && text.lastIndexOf("listening on") > text.lastIndexOf("stopped in")) {
          port = last;
        }
      }
      if (port > 0) {
        try {
          HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
              .timeout(Duration.ofSeconds(5)).build();
          if (probe.send(r, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
            return new ServerProcess(p, port);
          }
        } catch (IOException e) {
          // not listening yet
        }
      }
      Thread.sleep(100);
    }
    p.destroyForcibly();
    throw new IllegalStateException("semcache serve was not ready within " + timeout + "; see " + log);
  }

  int port() {
    return port;
  }

  long pid() {
    return process.pid();
  }

  boolean alive() {
    return process.isAlive();
  }

  /** SIGTERM, as an operator's restart: the server drains, closes its store and exits. */
  void stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      throw new IllegalStateException("semcache serve did not stop within 120 s of SIGTERM");
    }
  }
}
