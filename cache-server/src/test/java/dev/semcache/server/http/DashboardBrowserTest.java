package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.config.HttpConfig;
import dev.semcache.server.http.TestServer.Response;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The operator dashboard in a real headless Chromium, driven by Selenium, against a real server with API
 * keys: the page shows what {@code /stats} says, makes no request outside the server, logs no script
 * error, and its threshold control changes the threshold that the next lookups use.
 *
 * <p>Needs Debian's {@code chromium} and {@code chromium-driver} ({@code .ci/run} installs them). Both
 * paths are set explicitly, so Selenium Manager never looks for, or downloads, a browser or driver.
 */
class DashboardBrowserTest {
  private static final String NS = "faq";
  private static final String ADMIN_KEY = "dashboard-admin-key";
  private static final String READ_KEY = "dashboard-read-key";
  private static final Duration PAGE_WAIT = Duration.ofSeconds(20);
  /** Held so that it keeps its level: without selenium-devtools, Selenium warns that it has no CDP for this Chromium. */
  private static final Logger CDP_LOG = quiet("org.openqa.selenium.devtools");

  /** The stored questions; probes name the one they mean, or none. */
  private static final Map<String, String> FAQ = Map.of(
      "How do I reset my password?", "Click 'Forgot password' on the login page.",
      "Do you ship to Canada?", "Yes, in 5-7 days.",
      "What are your opening hours?", "9 to 5, Monday to Friday.",
      "How can I cancel my subscription?", "Under Account, choose Cancel subscription.",
      "Is there a student discount?", "Yes, 20% with a student email address.",
      "How long does a refund take?", "Refunds reach your card within 10 days.");

  /** A lookup prompt and the stored question it means (null: none of them), to judge audits honestly. */
  private record Probe(String prompt, String means) {}

  private static final List<Probe> PROBES = List.of(
      new Probe("How do I reset my password?", "How do I reset my password?"),
      new Probe("Do you ship to Canada?", "Do you ship to Canada?"),
      new Probe("How can I reset my password?", "How do I reset my password?"),
      new Probe("Can you ship to Canada?", "Do you ship to Canada?"),
      new Probe("What are the opening hours?", "What are your opening hours?"),
      new Probe("How do I cancel my subscription?", "How can I cancel my subscription?"),
      new Probe("Do you offer a student discount?", "Is there a student discount?"),
      new Probe("How long do refunds take?", "How long does a refund take?"),
      new Probe("How do I reset my username?", null),
      new Probe("Do you ship to Mexico?", null),
      new Probe("Is there a senior discount?", null),
      new Probe("What are your opening hours on public holidays?", null),
      new Probe("What is the capital of Mongolia?", null),
      new Probe("Write a haiku about autumn leaves.", null),
      new Probe("Explain quantum entanglement simply.", null));

  @TempDir
  Path dir;
  TestServer s;
  ChromeDriver browser;

  @BeforeEach
  void start() {
    Path chromium = Path.of(System.getProperty("semcache.chromium", "/usr/bin/chromium"));
    Path chromedriver = Path.of(System.getProperty("semcache.chromedriver", "/usr/bin/chromedriver"));
    if (!Files.isExecutable(chromium) || !Files.isExecutable(chromedriver)) {
      fail("the dashboard test needs headless Chromium and its driver at " + chromium + " and " + chromedriver
          + ": install Debian's 'chromium' and 'chromium-driver' (apt-get install chromium chromium-driver;"
          + " .ci/run does it)");
    }
    s = new TestServer(TestServer.config(dir, List.of(TestServer.key("ops", ADMIN_KEY, "admin", "*"),
        TestServer.key("viewer", READ_KEY, "read", "*")), HttpConfig.defaults()), new ManualClock());
    browser = openBrowser(chromium, chromedriver);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (browser != null) {
        // What the page showed last, for whoever reads a failure (or wants to see the page).
        Path shot = Path.of("target", "dashboard-browser-test.png");
        Files.createDirectories(shot.getParent());
        Files.write(shot, browser.getScreenshotAs(OutputType.BYTES));
      }
    } finally {
      if (browser != null) {
        browser.quit();
      }
      if (s != null) {
        s.close();
      }
    }
  }

  private static Logger quiet(String name) {
    Logger logger = Logger.getLogger(name);
    logger.setLevel(Level.SEVERE);
    return logger;
  }

  private static ChromeDriver openBrowser(Path chromium, Path chromedriver) {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--window-size=1400,1400");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    logs.enable(LogType.PERFORMANCE, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(new File(chromedriver.toString())).usingAnyFreePort().withSilent(true).build();
    return new ChromeDriver(service, options);
  }

  @Test
  void theDashboardShowsTheServersFiguresAndItsControlChangesTheThreshold() throws Exception {
    Traffic traffic = driveTraffic();
    assertThat(traffic.semanticHits()).as("paraphrases hit semantically").hasSizeGreaterThanOrEqualTo(2);
    assertThat(traffic.audited()).as("sampled lookups were audited").isGreaterThanOrEqualTo(2);
    String origin = "http://127.0.0.1:" + s.port();

    // Without a key the page says it needs one; with the read key it shows the figures.
    browser.get(origin + "/dashboard");
    awaitPage("the page to ask for a key", () -> text("status").contains("API key"));
    type("api-key", READ_KEY);
    click("api-key-save");
    JsonNode stats = assertPageShowsStats();
    assertThat(stats.get("false_hit_rate").get("estimate").isNull()).as("a semantic hit was audited").isFalse();
    assertThat(text("namespace")).isEqualTo(NS);
    assertThat(browser.findElements(By.cssSelector("#chart-curve svg path.hit-line"))).isNotEmpty();
    assertThat(browser.findElements(By.cssSelector("#chart-series svg path.hit-line"))).isNotEmpty();
    assertThat(browser.findElements(By.cssSelector("#chart-lookups svg rect.hit-bar"))).isNotEmpty();
    assertThat(browser.findElements(By.cssSelector("#chart-audits svg rect.correct-bar, #chart-audits svg rect.false-bar")))
        .isNotEmpty();

    // The threshold that makes the weakest semantic hit a miss: the next step of 0.005 above it (the grid of
    // the page's input and of the server's histograms).
    Response weakest = traffic.semanticHits().stream()
        .min((a, b) -> Double.compare(a.json().get("similarity").asDouble(), b.json().get("similarity").asDouble()))
        .orElseThrow();
    String prompt = traffic.prompts().get(weakest.json().get("lookup_id").asText());
    double similarity = weakest.json().get("similarity").asDouble();
    double raised = Math.ceil((similarity + 1e-4) * 200) / 200;
    assertThat(raised).isGreaterThan(similarity).isLessThanOrEqualTo(1.0);
    String typed = String.format(Locale.ROOT, "%.3f", raised);

    // A read key may not change it: the page shows the API's reason, and nothing changes.
    type("threshold-input", typed);
    click("threshold-apply");
    awaitPage("the refusal to show", () -> text("threshold-message").startsWith("Not applied"));
    assertThat(text("threshold-message")).contains("has role read; this call needs admin");
    assertThat(config().get("threshold").asDouble()).isEqualTo(stats.get("threshold").asDouble());

    // With the admin key it applies, the page shows it, and the next lookups use it.
    type("api-key", ADMIN_KEY);
    click("api-key-save");
    type("threshold-input", typed);
    click("threshold-apply");
    awaitPage("the new threshold to apply", () -> text("threshold-message").contains("is now " + typed));
    assertThat(config().get("threshold").asDouble()).isCloseTo(raised, within(1e-6));
    awaitPage("the page to show the new threshold", () -> text("threshold-current").equals(typed));

    Response again = lookup(prompt);
    assertThat(again.json().get("threshold").asDouble()).isCloseTo(raised, within(1e-6));
    assertThat(again.json().get("hit").asBoolean()).as("'%s' hit at %.4f before; %s now", prompt, similarity, typed)
        .isFalse();
    assertThat(again.json().get("nearest_similarity").asDouble()).isCloseTo(similarity, within(1e-4));
    assertThat(lookup("How do I reset my password?").json().get("threshold").asDouble()).isCloseTo(raised, within(1e-6));
    assertPageShowsStats(); // the page's own refresh, within 5 s, brings the two new lookups

    // The recommended threshold is one click away, and lookups use it: the prompt that missed above now hits.
    JsonNode analysis = s.call("GET", "/v1/namespaces/" + NS + "/analysis", null, ADMIN_KEY).json();
    assertThat(analysis.get("recommended_threshold").isNumber()).as(analysis.get("recommendation").asText()).isTrue();
    double recommended = analysis.get("recommended_threshold").asDouble();
    assertThat(recommended).as("recommended below the weakest hit's similarity").isLessThan(similarity);
    String shown = String.format(Locale.ROOT, "%.3f", recommended);
    assertThat(text("recommended-apply")).isEqualTo("Apply " + shown);
    click("recommended-apply");
    awaitPage("the recommended threshold to apply", () -> text("threshold-message").contains("is now " + shown));
    assertThat(config().get("threshold").asDouble()).isCloseTo(recommended, within(1e-6));
    awaitPage("the page to show the recommended threshold", () -> text("threshold-current").equals(shown));
    assertThat(browser.findElement(By.id("recommended-apply")).isEnabled()).as("nothing left to apply").isFalse();
    Response back = lookup(prompt);
    assertThat(back.json().get("threshold").asDouble()).isCloseTo(recommended, within(1e-6));
    assertThat(back.json().get("hit").asBoolean()).isTrue();

    assertOnlyTheServerWasAsked(origin);
    assertNoConsoleErrors();
  }

  /**
   * A verified namespace: the page shows its decision, bound, measured wrong share, explore rate and cold
   * entries as /analysis reports them; a static namespace hides them.
   */
  @Test
  void theDashboardShowsAVerifiedNamespacesFigures() throws Exception {
    Response put = s.call("PUT", "/v1/namespaces/" + NS, Map.of("decision", "verified", "max_false_hit_rate", 0.05,
        "audit_rate", 1.0), ADMIN_KEY);
    assertThat(put.status()).as(put.text()).isEqualTo(201);
    String origin = "http://127.0.0.1:" + s.port();
    browser.get(origin + "/dashboard");
    awaitPage("the page to ask for a key", () -> text("status").contains("API key"));
    type("api-key", ADMIN_KEY);
    click("api-key-save");
    Map<String, String> entries = driveTraffic().entries();
    driveLookups(entries); // a second round: the verdicts of the first taught the entries
    JsonNode v = s.call("GET", "/v1/namespaces/" + NS + "/analysis", null, ADMIN_KEY).json().get("verified");
    assertThat(v.get("explores").asLong()).as("undecided lookups were explored").isPositive();
    long decided = v.get("lookups").asLong();
    awaitPage("the page to show " + decided + " verified lookups", () -> integer("verified-lookups") == decided);
    assertThat(browser.findElement(By.id("verified-panel")).isDisplayed()).isTrue();
    assertThat(text("verified-decision")).isEqualTo("verified");
    assertThat(percent(text("verified-bound"))).isCloseTo(5.0, within(0.051));
    assertThat(integer("verified-explores")).isEqualTo(v.get("explores").asLong());
    assertThat(percent(text("verified-explore-rate"))).isCloseTo(100 * v.get("explore_rate").asDouble(), within(0.051));
    assertThat(integer("verified-cold")).isEqualTo(v.get("cold_entries").asLong());
    assertThat(integer("verified-entries")).isEqualTo(v.get("entries").asLong()).isEqualTo(FAQ.size());
    JsonNode m = v.get("measured_false_hit_rate");
    if (m.get("estimate").isNull()) {
      assertThat(text("verified-wrong")).isEqualTo("not audited");
    } else {
      assertThat(percent(text("verified-wrong"))).isCloseTo(100 * m.get("estimate").asDouble(), within(0.051));
      assertThat(integer("verified-audited-hits")).isEqualTo(m.get("audited_hits").asLong());
    }

    put = s.call("PUT", "/v1/namespaces/" + NS, Map.of("decision", "static"), ADMIN_KEY);
    assertThat(put.status()).as(put.text()).isEqualTo(200);
    awaitPage("the verified figures to go for a static namespace",
        () -> !browser.findElement(By.id("verified-panel")).isDisplayed());
    assertNoConsoleErrors();
  }

  // ------------------------------------------------------------------ traffic

  private record Traffic(List<Response> semanticHits, int audited, Map<String, String> prompts,
      Map<String, String> entries) {}

  /** Stores the FAQ, looks up every probe, and audits every sampled lookup by what the probe means. */
  private Traffic driveTraffic() {
    // Every hit and near miss sampled; a lenient target, so that a handful of audits gives a recommendation.
    Response put = s.call("PUT", "/v1/namespaces/" + NS, Map.of("audit_rate", 1.0, "target_false_hit_rate", 0.5),
        ADMIN_KEY);
    assertThat(put.status()).as(put.text()).isIn(200, 201);
    Map<String, String> promptOfEntry = new HashMap<>();
    for (var e : FAQ.entrySet()) {
      Response stored = s.call("POST", "/v1/entries", Map.of("namespace", NS, "prompt", e.getKey(), "response",
          e.getValue()), ADMIN_KEY);
      assertThat(stored.status()).as(stored.text()).isEqualTo(201);
      promptOfEntry.put(stored.json().get("entry_id").asText(), e.getKey());
    }
    s.refresh();
    return driveLookups(promptOfEntry);
  }

  /** Looks up every probe, and audits every sampled lookup by what the probe means. */
  private Traffic driveLookups(Map<String, String> promptOfEntry) {
    List<Response> semantic = new ArrayList<>();
    Map<String, String> prompts = new HashMap<>();
    int audited = 0;
    for (Probe p : PROBES) {
      Response r = lookup(p.prompt());
      JsonNode a = r.json();
      prompts.put(a.get("lookup_id").asText(), p.prompt());
      if ("semantic".equals(a.get("kind").asText())) {
        semantic.add(r);
      }
      if (a.get("audit").asBoolean()) {
        String entry = a.path(a.get("hit").asBoolean() ? "entry_id" : "nearest_entry_id").asText();
        boolean right = p.means() != null && p.means().equals(promptOfEntry.get(entry));
        Response audit = s.call("POST", "/v1/audits/" + a.get("lookup_id").asText(), Map.of("namespace", NS,
            "verdict", right ? "correct" : "false_hit"), ADMIN_KEY);
        assertThat(audit.status()).as(audit.text()).isEqualTo(201);
        audited++;
      }
    }
    return new Traffic(semantic, audited, prompts, promptOfEntry);
  }

  private Response lookup(String prompt) {
    Response r = s.call("POST", "/v1/lookup", Map.of("namespace", NS, "prompt", prompt), ADMIN_KEY);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    return r;
  }

  private JsonNode config() {
    return s.call("GET", "/v1/namespaces/" + NS, null, ADMIN_KEY).json();
  }

  // ------------------------------------------------------------------ what the page shows

  /** Waits until the page shows the current lookup count, then checks its figures against /stats and /analysis. */
  private JsonNode assertPageShowsStats() {
    JsonNode stats = s.call("GET", "/v1/namespaces/" + NS + "/stats", null, ADMIN_KEY).json();
    JsonNode analysis = s.call("GET", "/v1/namespaces/" + NS + "/analysis", null, ADMIN_KEY).json();
    long lookups = stats.get("lookups").asLong();
    awaitPage("the page to show " + lookups + " lookups", () -> integer("lookups") == lookups);

    assertThat(percent(text("hit-rate"))).as("hit rate").isCloseTo(100 * stats.get("hit_rate").asDouble(), within(0.051));
    JsonNode fhr = stats.get("false_hit_rate");
    if (fhr.get("estimate").isNull()) {
      assertThat(text("false-hit-rate")).isEqualTo("not audited");
    } else {
      assertThat(percent(text("false-hit-rate"))).as("false-hit rate")
          .isCloseTo(100 * fhr.get("estimate").asDouble(), within(0.051));
      String[] interval = text("false-hit-interval").split("–");
      assertThat(interval).as(text("false-hit-interval")).hasSize(2);
      assertThat(percent(interval[0])).isCloseTo(100 * fhr.get("lower").asDouble(), within(0.051));
      assertThat(percent(interval[1])).isCloseTo(100 * fhr.get("upper").asDouble(), within(0.051));
    }
    assertThat(integer("audited-hits")).isEqualTo(fhr.get("audited_hits").asLong());
    assertThat(integer("exact-hits")).isEqualTo(stats.get("exact_hits").asLong());
    assertThat(integer("semantic-hits")).isEqualTo(stats.get("semantic_hits").asLong());
    assertThat(integer("misses")).isEqualTo(stats.get("misses").asLong());
    assertThat(Double.parseDouble(text("threshold-current"))).isCloseTo(stats.get("threshold").asDouble(), within(5e-4));
    JsonNode recommended = analysis.get("recommended_threshold");
    if (recommended.isNull()) {
      assertThat(text("threshold-recommended")).isEqualTo("none");
    } else {
      assertThat(Double.parseDouble(text("threshold-recommended"))).isCloseTo(recommended.asDouble(), within(5e-4));
    }
    assertThat(text("status")).startsWith("Updated");
    return stats;
  }

  private String text(String id) {
    WebElement e = browser.findElement(By.id(id));
    if ("select".equals(e.getTagName())) {
      return e.getDomProperty("value");
    }
    return e.getText().trim();
  }

  private long integer(String id) {
    String t = text(id).replace(",", "");
    return t.matches("\\d+") ? Long.parseLong(t) : -1;
  }

  /** "41.3%" as 41.3. */
  private static double percent(String text) {
    String t = text.trim();
    assertThat(t).as("a percentage").matches("\\d+(\\.\\d+)?%");
    return Double.parseDouble(t.substring(0, t.length() - 1));
  }

  private void type(String id, String value) {
    WebElement e = browser.findElement(By.id(id));
    e.clear();
    e.sendKeys(value);
  }

  private void click(String id) {
    browser.findElement(By.id(id)).click();
  }

  private void awaitPage(String what, Supplier<Boolean> condition) {
    long deadline = System.nanoTime() + PAGE_WAIT.toNanos();
    while (true) {
      try {
        if (condition.get()) {
          return;
        }
      } catch (RuntimeException e) {
        // the element is being redrawn; try again
      }
      if (System.nanoTime() > deadline) {
        fail("waited " + PAGE_WAIT.toSeconds() + " s for " + what + "; the page says: " + text("status")
            + " | " + text("threshold-message"));
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  // ------------------------------------------------------------------ what the browser did

  /** Every request the page made, from Chromium's network log, went to the server (or was a data: URL). */
  private void assertOnlyTheServerWasAsked(String origin) throws Exception {
    List<String> urls = new ArrayList<>();
    for (LogEntry e : browser.manage().logs().get(LogType.PERFORMANCE)) {
      JsonNode message = TestServer.JSON.readTree(e.getMessage()).path("message");
      if (message.path("method").asText().equals("Network.requestWillBeSent")) {
        urls.add(message.path("params").path("request").path("url").asText());
      }
    }
    assertThat(urls).as("the page's requests").isNotEmpty().contains(origin + "/dashboard/dashboard.js",
        origin + "/v1/namespaces/" + NS + "/stats");
    assertThat(urls).as("requests outside the server").allMatch(u -> u.startsWith(origin + "/") || u.startsWith("data:"));
  }

  /**
   * No script error or warning; the only errors are Chromium's own lines for the two refusals this test
   * provoked (401 before a key was given, 403 for the read key's threshold change).
   */
  private void assertNoConsoleErrors() {
    List<String> unexpected = new ArrayList<>();
    for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
      String m = e.getMessage();
      boolean provoked = m.contains("Failed to load resource")
          && (m.contains("status of 401") || m.contains("status of 403"));
      if (e.getLevel().intValue() >= Level.WARNING.intValue() && !provoked) {
        unexpected.add(e.getLevel() + " " + m);
      }
    }
    assertThat(unexpected).as("console errors and warnings").isEmpty();
  }
}
