package dev.semcache.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Starts the real {@code ./semcache} launcher the way a user does (JDK discovery, JVM flags, the fat
 * jar, ONNX Runtime's native start), with {@code SEMCACHE_NO_BUILD=1} so that it runs the jar this
 * build just made instead of building again.
 */
class LauncherIT {
  private static final Path ROOT = Path.of(System.getProperty("semcache.root.dir", "..")).toAbsolutePath().normalize();
  private static final Path SHARED = Path.of(System.getProperty("semcache.shared.dir", "../shared")).toAbsolutePath().normalize();
  private static final String REAL_JDK = Path.of(System.getProperty("java.home")).toString();

  record Run(int exit, String out, String err) {}

  private static Run launch(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ROOT.resolve("semcache").toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile());
    pb.environment().put("SEMCACHE_NO_BUILD", "1");
    pb.environment().putAll(env);
    Process p = pb.start();
    p.getOutputStream().close();
    byte[] out = p.getInputStream().readAllBytes();
    byte[] err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  @Test
  void embedRunsTheRealModelThroughTheLauncher() throws Exception {
    Run r = launch(Map.of("JAVA_HOME", REAL_JDK), "embed", "How do I reset my password?",
        "How can I reset my password?", "What is the capital of Mongolia?");
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode doc = new ObjectMapper().readTree(r.out());
    assertThat(doc.get("dimension").asInt()).isEqualTo(384);
    assertThat(doc.get("similarities").get(0).get("cosine").asDouble()).isGreaterThan(0.9);
    assertThat(doc.get("similarities").get(1).get("cosine").asDouble()).isLessThan(0.5);
    assertThat(r.err()).doesNotContain("WARNING: A restricted method").doesNotContain("sun.misc.Unsafe");
  }

  /**
   * The shared gateway check, as a new user runs it: {@code ./semcache serve} through the launcher, store,
   * paraphrase hit, exact hit, miss, namespace and scope isolation, metrics, SIGTERM restart, SIGKILL
   * right after an acknowledged store.
   */
  @Test
  void sharedGatewayFlowPassesAgainstTheLauncher() throws Exception {
    Path check = SHARED.resolve("checks/gateway_flow.py");
    assertThat(check).as("the shared checks beside the project").exists();
    ProcessBuilder pb = new ProcessBuilder("python3", check.toString()).directory(ROOT.toFile()).redirectErrorStream(true);
    pb.environment().put("SEMCACHE_NO_BUILD", "1");
    pb.environment().put("JAVA_HOME", REAL_JDK);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(600, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("all held");
  }

  @Test
  void serveRefusesAnUnknownEnvironmentKeyWithoutStarting() throws Exception {
    Run r = launch(Map.of("JAVA_HOME", REAL_JDK, "SEMCACHE_HTTP_MAX_BODY", "5"), "serve", "--port", "0");
    assertThat(r.exit()).isEqualTo(ServeCommand.CONFIG_ERROR);
    assertThat(r.err()).contains("unknown environment variable SEMCACHE_HTTP_MAX_BODY")
        .contains("SEMCACHE_HTTP_MAX_BODY_BYTES");
  }

  @Test
  void serveRefusesToListenBeyondLoopbackWithoutKeys() throws Exception {
    Run r = launch(Map.of("JAVA_HOME", REAL_JDK), "serve", "--host", "0.0.0.0", "--port", "0");
    assertThat(r.exit()).isEqualTo(ServeCommand.CONFIG_ERROR);
    assertThat(r.err()).contains("no api_keys are configured");
  }

  @Test
  void serveRefusesADataFolderOfAnotherModel(@TempDir Path tmp) throws Exception {
    Files.writeString(tmp.resolve("model"), "bge-small-en-v15-q\n");
    Run r = launch(Map.of("JAVA_HOME", REAL_JDK), "serve", "--port", "0", "--data-dir", tmp.toString());
    assertThat(r.exit()).as(r.err()).isEqualTo(ServeCommand.CONFIG_ERROR);
    assertThat(r.err()).contains("were embedded with model 'bge-small-en-v15-q'");
  }

  @Test
  void badModelNameIsAClearError() throws Exception {
    Run r = launch(Map.of("JAVA_HOME", REAL_JDK), "embed", "--model", "nope", "hi");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("semcache embed: unknown model 'nope'; known models: [all-minilm-l6-v2-q, bge-small-en-v15-q]");
  }

  /** A JAVA_HOME that is too old is passed over for a newer JDK found in the search path. */
  @Test
  void tooOldJavaHomeIsPassedOverForANewerJdk(@TempDir Path tmp) throws Exception {
    Path old = fakeJdk(tmp.resolve("old"), "17");
    Path search = Files.createDirectories(tmp.resolve("jvms"));
    Files.createSymbolicLink(search.resolve("real-jdk"), Path.of(REAL_JDK));
    Run r = launch(Map.of("JAVA_HOME", old.toString(), "SEMCACHE_JDK_SEARCH_PATH", search.toString()), "--version");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("on Java " + Runtime.version().feature());
  }

  @Test
  void noSuitableJdkStopsWithAMessageThatSaysWhatToInstall(@TempDir Path tmp) throws Exception {
    Path old = fakeJdk(tmp.resolve("old"), "17");
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    Run r = launch(Map.of("JAVA_HOME", old.toString(), "SEMCACHE_JDK_SEARCH_PATH", empty.toString()), "--version");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("semcache: no JDK 21 or newer found")
        .contains("Install one, e.g. 'apt-get install openjdk-21-jdk-headless' or Temurin 25, and set JAVA_HOME to it.");
  }

  /** A folder that looks like a JDK of the given version to the launcher's probe. */
  private static Path fakeJdk(Path home, String version) throws IOException {
    Path bin = Files.createDirectories(home.resolve("bin"));
    for (String tool : List.of("java", "javac")) {
      Path f = bin.resolve(tool);
      Files.writeString(f, "#!/bin/sh\necho '    java.specification.version = " + version + "' >&2\n");
      Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    return home;
  }
}
