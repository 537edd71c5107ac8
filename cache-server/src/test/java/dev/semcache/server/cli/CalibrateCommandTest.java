package dev.semcache.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code semcache calibrate} on a small labelled file with the real model, applied to a real server. */
class CalibrateCommandTest {
  @TempDir
  Path dir;

  record Run(int exit, String out, String err) {}

  static Run run(String... args) {
    PrintStream out = System.out;
    PrintStream err = System.err;
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
      int exit = new CommandLine(new Main()).execute(args);
      return new Run(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(out);
      System.setErr(err);
    }
  }

  @Test
  void printsTheCurveAndAppliesTheRecommendedThresholdToARunningServer() throws Exception {
    Path pairs = dir.resolve("pairs.tsv");
    Files.writeString(pairs, String.join("\n",
        "text_a\ttext_b\tlabel",
        "How do I reset my password?\tHow can I reset my password?\t1",
        "What are your opening hours?\tWhen are you open?\t1",
        "Do you ship to Canada?\tDo you deliver to Canada?\t1",
        "How do I cancel my order?\tHow can I cancel an order?\t1",
        "Where is my parcel?\tWhere is my package?\t1",
        "How do I reset my password?\tWhat is the capital of Mongolia?\t0",
        "Do you ship to Canada?\tHow tall is Mount Everest?\t0",
        "What are your opening hours?\tWho wrote Hamlet?\t0",
        "How do I cancel my order?\tWhat is the boiling point of water?\t0",
        "Where is my parcel?\tHow many legs does a spider have?\t0") + "\n");
    Path data = dir.resolve("data");
    try (var server = dev.semcache.server.http.SemcacheServer.start(
        serverConfig(data), java.time.InstantSource.system(), null)) {
      server.awaitReady(java.time.Duration.ofSeconds(120));
      Run r = run("calibrate", "--pairs", pairs.toString(), "--target", "0.6", "--apply", "faq",
          "--url", "http://127.0.0.1:" + server.port());
      assertThat(r.exit()).as(r.err()).isZero();
      Matcher m = Pattern.compile("(?m)^(\\d\\.\\d{3}) .*<- recommended$").matcher(r.out());
      assertThat(m.find()).as(r.out()).isTrue();
      double recommended = Double.parseDouble(m.group(1));
      // Above every unrelated pair there are at most 5 pairs, all correct: the Clopper-Pearson upper bound
      // of 0 in 5 is 0.52, under the 0.6 target; one false pair in 6 would be 0.64. So the recommendation
      // is the lowest threshold above every unrelated pair, and they sit far below the paraphrases.
      assertThat(recommended).isBetween(0.3, 0.9);
      assertThat(r.out()).contains("applied threshold " + m.group(1) + " to namespace 'faq'");
      assertThat(server.cache().namespaceConfig("faq").threshold()).isEqualTo(recommended);
      assertThat(r.err()).contains("10 pairs (5 labelled same, 5 different)").contains("embedded 10/10 pairs");
    }
  }

  @Test
  void aBadFileIsRefusedWithItsLineAndNothingIsApplied() throws Exception {
    Path pairs = dir.resolve("bad.tsv");
    Files.writeString(pairs, "a\tb\t1\nc\td\tmaybe\n");
    Run r = run("calibrate", "--pairs", pairs.toString(), "--apply", "faq", "--url", "http://127.0.0.1:9");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("line 2").contains("label='maybe'");
    Path oneSided = dir.resolve("one.jsonl");
    Files.writeString(oneSided, "{\"text_a\": \"a\", \"text_b\": \"b\", \"label\": 1}\n");
    Run r2 = run("calibrate", "--pairs", oneSided.toString());
    assertThat(r2.exit()).isEqualTo(2);
    assertThat(r2.err()).contains("both labels");
  }

  static dev.semcache.server.config.ServerConfig serverConfig(Path data) {
    var d = dev.semcache.server.config.ServerConfig.defaults();
    return new dev.semcache.server.config.ServerConfig("127.0.0.1", 0, data.toString(), d.model(), d.http(), d.embedding(),
        d.storage(), d.audits(), d.namespaceDefaults(), java.util.List.of());
  }
}
