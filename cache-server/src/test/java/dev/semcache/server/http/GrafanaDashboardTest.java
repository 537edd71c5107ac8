package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.semcache.index.ManualClock;
import dev.semcache.server.http.TestServer.Response;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * dashboards/semcache-grafana.json against a real server: the file is a Grafana dashboard, and every
 * metric its queries (panels and template variables) name is one that semcache exports, with the labels
 * and label values the queries filter and group on, counters read through rate() or increase() and
 * gauges not. The server gets a little traffic first (stores, an exact hit, a semantic hit, a miss,
 * audits with both verdicts, feedback), because labelled series appear only once their data exists.
 */
class GrafanaDashboardTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String PROMPT = "How do I reset my password?";
  static final String ANSWER = "Open Settings > Account > Reset password and follow the link we email you.";

  /**
   * Families the dashboard leaves out on purpose. Any other semcache family that the server exports
   * must be charted, so that a new metric is a decision about the dashboard, not an oversight.
   */
  static final Set<String> NOT_CHARTED = Set.of("semcache_build_info", "semcache_index_documents",
      "semcache_embed_inferences_total", "semcache_entry_bytes", "semcache_held_bytes");

  /** What the dashboard must keep showing (issue 5): sample names as Prometheus stores them. */
  static final Set<String> REQUIRED = Set.of("semcache_lookups_total", "semcache_false_hit_rate", "semcache_threshold",
      "semcache_recommended_threshold", "semcache_audits_total", "semcache_feedback_total",
      "semcache_lookup_similarity_bucket", "semcache_audit_similarity_bucket", "semcache_lookup_stage_seconds_bucket",
      "semcache_http_requests_total", "semcache_entries", "semcache_evictions_total", "semcache_expirations_total",
      "semcache_embed_queue_depth");

  @TempDir
  static Path dir;
  static TestServer server;
  static Exposition exported;

  @BeforeAll
  static void startAndDriveTraffic() {
    server = new TestServer(TestServer.config(dir), new ManualClock());
    // faq: every hit and near miss sampled; a target so lenient that one correct audit recommends a
    // threshold, so that semcache_recommended_threshold (absent while none qualifies) is exported.
    put("faq", Map.of("audit_rate", 1.0, "target_false_hit_rate", 0.98));
    put("fx", Map.of("audit_rate", 1.0));
    server.store("faq", PROMPT, ANSWER);
    server.store("fx", PROMPT, ANSWER);

    Response miss = server.lookup("faq", "What is the capital of Mongolia?");
    assertThat(miss.json().get("kind").asText()).isEqualTo("miss");
    assertThat(server.lookup("faq", PROMPT).json().get("kind").asText()).isEqualTo("exact");
    Response hit = server.lookup("faq", "How can I reset my password?");
    assertThat(hit.json().get("kind").asText()).isEqualTo("semantic");
    assertThat(hit.json().get("audit").asBoolean()).isTrue();
    Response audit = server.call("POST", "/v1/audits/" + hit.json().get("lookup_id").asText(),
        Map.of("namespace", "faq", "verdict", "correct"));
    assertThat(audit.status()).isEqualTo(201);

    Response wrong = server.lookup("fx", "How can I reset my password?");
    assertThat(wrong.json().get("audit").asBoolean()).isTrue();
    assertThat(server.call("POST", "/v1/audits/" + wrong.json().get("lookup_id").asText(),
        Map.of("namespace", "fx", "verdict", "false_hit")).status()).isEqualTo(201);
    assertThat(server.call("POST", "/v1/feedback", Map.of("namespace", "faq", "lookup_id",
        hit.json().get("lookup_id").asText(), "verdict", "false_hit")).status()).isEqualTo(202);

    Response metrics = server.call("GET", "/metrics", null);
    assertThat(metrics.status()).isEqualTo(200);
    exported = Exposition.parse(metrics.text());
  }

  static void put(String ns, Map<String, Object> config) {
    assertThat(server.call("PUT", "/v1/namespaces/" + ns, config).status()).isIn(200, 201);
  }

  @AfterAll
  static void stop() {
    if (server != null) {
      server.close();
    }
  }

  static JsonNode dashboard() throws IOException {
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("dashboards/semcache-grafana.json"))) {
      p = p.getParent();
    }
    assertThat(p).as("dashboards/semcache-grafana.json above " + Path.of("").toAbsolutePath()).isNotNull();
    return JSON.readTree(p.resolve("dashboards/semcache-grafana.json").toFile());
  }

  // ------------------------------------------------------------------ tests

  @Test
  void isAGrafanaDashboardWithADatasourceAndANamespaceVariable() throws IOException {
    JsonNode d = dashboard();
    assertThat(d.path("title").asText()).isNotBlank();
    assertThat(d.path("uid").asText()).matches("[A-Za-z0-9_-]{1,40}");
    assertThat(d.path("schemaVersion").asInt()).isBetween(36, 41);
    assertThat(d.path("panels").isArray()).isTrue();

    Map<String, JsonNode> variables = new HashMap<>();
    for (JsonNode v : d.path("templating").path("list")) {
      variables.put(v.path("name").asText(), v);
    }
    JsonNode ds = variables.get("DS_PROMETHEUS");
    assertThat(ds).as("a datasource variable DS_PROMETHEUS").isNotNull();
    assertThat(ds.path("type").asText()).isEqualTo("datasource");
    assertThat(ds.path("query").asText()).isEqualTo("prometheus");
    JsonNode ns = variables.get("namespace");
    assertThat(ns).as("a namespace variable").isNotNull();
    assertThat(ns.path("type").asText()).isEqualTo("query");
    assertThat(variableQuery(ns)).isEqualTo("label_values(semcache_lookups_total, namespace)");
    assertThat(ns.path("datasource").path("uid").asText()).isEqualTo("${DS_PROMETHEUS}");

    List<JsonNode> panels = panels(d);
    assertThat(panels).hasSizeGreaterThan(10);
    Set<Integer> ids = new HashSet<>();
    for (JsonNode p : panels) {
      String title = p.path("title").asText();
      assertThat(p.path("id").isInt()).as("panel '%s' has an integer id", title).isTrue();
      assertThat(ids.add(p.path("id").asInt())).as("panel id %s of '%s' is unique", p.path("id"), title).isTrue();
      assertThat(title).as("every panel has a title").isNotBlank();
      assertThat(p.path("type").asText()).as("type of '%s'", title).isIn("row", "timeseries", "stat", "heatmap",
          "bargauge", "gauge", "table", "text");
      JsonNode g = p.path("gridPos");
      assertThat(g.path("w").asInt()).as("width of '%s'", title).isBetween(1, 24);
      assertThat(g.path("x").asInt() + g.path("w").asInt()).as("'%s' fits in 24 columns", title).isLessThanOrEqualTo(24);
      assertThat(g.path("h").asInt()).as("height of '%s'", title).isPositive();
      assertThat(g.has("y")).isTrue();
      if (p.path("type").asText().equals("row") || p.path("type").asText().equals("text")) {
        continue;
      }
      assertThat(p.path("datasource").path("uid").asText()).as("datasource of '%s'", title).isEqualTo("${DS_PROMETHEUS}");
      assertThat(p.path("targets").size()).as("'%s' has queries", title).isPositive();
      Set<String> refIds = new HashSet<>();
      for (JsonNode t : p.path("targets")) {
        assertThat(t.path("expr").asText()).as("every query of '%s' has an expr", title).isNotBlank();
        assertThat(refIds.add(t.path("refId").asText())).as("refIds of '%s' are unique", title).isTrue();
        assertThat(t.path("datasource").path("uid").asText()).isEqualTo("${DS_PROMETHEUS}");
      }
    }
  }

  @Test
  void everyMetricTheDashboardQueriesIsExportedWithItsLabels() throws IOException {
    JsonNode d = dashboard();
    assertThat(problems(d, exported)).isEmpty();

    Set<String> used = usedMetrics(d);
    assertThat(used).as("the families the dashboard must show").containsAll(REQUIRED);
    Set<String> uncharted = new TreeSet<>();
    for (String family : exported.families()) {
      if (family.startsWith("semcache_") && !NOT_CHARTED.contains(family)
          && used.stream().noneMatch(u -> exported.familyOf(u).equals(family))) {
        uncharted.add(family);
      }
    }
    assertThat(uncharted).as("semcache families the server exports but the dashboard neither charts nor lists in"
        + " NOT_CHARTED").isEmpty();
  }

  @Test
  void aMisspelledMetricOrLabelOrAMisusedCounterFailsTheCheck() throws IOException {
    assertThat(problemsAfter("semcache_lookups_total{", "semcache_lookup_total{"))
        .anyMatch(p -> p.contains("semcache_lookup_total") && p.contains("not exported"));
    assertThat(problemsAfter("semcache_lookup_stage_seconds_bucket", "semcache_lookup_stage_seconds"))
        .anyMatch(p -> p.contains("'semcache_lookup_stage_seconds'") && p.contains("not exported"));
    assertThat(problemsAfter("result!=\"miss\"", "reslt!=\"miss\"")).anyMatch(p -> p.contains("label 'reslt'"));
    assertThat(problemsAfter("result=\"semantic\"", "result=\"semantc\"")).anyMatch(p -> p.contains("'semantc'"));
    assertThat(problemsAfter("sum by (namespace, result)", "sum by (namespace, reslt)"))
        .anyMatch(p -> p.contains("groups by 'reslt'"));
    assertThat(problemsAfter("rate(semcache_evictions_total[5m])", "semcache_evictions_total"))
        .anyMatch(p -> p.contains("counter") && p.contains("rate()"));
    assertThat(problemsAfter("semcache_embed_queue_depth", "rate(semcache_embed_queue_depth[5m])"))
        .anyMatch(p -> p.contains("gauge"));
    assertThat(problemsAfter("label_values(semcache_lookups_total, namespace)",
        "label_values(semcache_lookups_total, namespaces)")).anyMatch(p -> p.contains("'namespaces'"));
  }

  /** The problems found after replacing {@code from} by {@code to} everywhere in the dashboard's text. */
  static List<String> problemsAfter(String from, String to) throws IOException {
    String text = JSON.writeValueAsString(dashboard());
    String escaped = JSON.writeValueAsString(from);
    String needle = escaped.substring(1, escaped.length() - 1);
    assertThat(text).as("the dashboard contains %s", from).contains(needle);
    String escapedTo = JSON.writeValueAsString(to);
    String mutated = text.replaceAll(Pattern.quote(needle),
        Matcher.quoteReplacement(escapedTo.substring(1, escapedTo.length() - 1)));
    return problems(JSON.readTree(mutated), exported);
  }

  @Test
  void theScannerFindsMetricsLabelsAndFunctions() {
    Query q = Query.scan("histogram_quantile(0.99, sum by (stage, le) (rate(semcache_lookup_stage_seconds_bucket"
        + "{namespace=~\"$namespace\", stage!=\"exact\"}[$__rate_interval])))");
    assertThat(q.selectors()).hasSize(1);
    Selector s = q.selectors().get(0);
    assertThat(s.metric()).isEqualTo("semcache_lookup_stage_seconds_bucket");
    assertThat(s.function()).isEqualTo("rate");
    assertThat(s.matchers()).containsExactly(new LabelMatcher("namespace", "=~", "$namespace"),
        new LabelMatcher("stage", "!=", "exact"));
    assertThat(q.grouping()).containsExactly("stage", "le");

    Query ratio = Query.scan("sum(rate(a_total{x=\"1\"}[5m])) by (ns) / on(ns) group_left sum(b) or vector(0) offset 5m");
    assertThat(ratio.selectors()).extracting(Selector::metric).containsExactly("a_total", "b");
    assertThat(ratio.selectors()).extracting(Selector::function).containsExactly("rate", "sum");
    assertThat(ratio.grouping()).containsExactly("ns");
    assertThat(Query.scan("max(semcache_threshold) > bool 0.9 and 1e-3 < 2").selectors())
        .extracting(Selector::metric).containsExactly("semcache_threshold");
    assertThat(Query.scan("count_values(\"v\", semcache_threshold{s='it\\'s'})").selectors())
        .extracting(Selector::metric).containsExactly("semcache_threshold");
  }

  // ------------------------------------------------------------------ the check

  static List<JsonNode> panels(JsonNode dashboard) {
    List<JsonNode> out = new ArrayList<>();
    Deque<JsonNode> todo = new ArrayDeque<>();
    dashboard.path("panels").forEach(todo::add);
    while (!todo.isEmpty()) {
      JsonNode p = todo.poll();
      out.add(p);
      p.path("panels").forEach(todo::add); // collapsed rows hold their panels
    }
    return out;
  }

  static String variableQuery(JsonNode variable) {
    JsonNode q = variable.path("query");
    return q.isObject() ? q.path("query").asText() : q.asText();
  }

  /** Every query of the dashboard: where it is, and its text. */
  static Map<String, String> queries(JsonNode dashboard) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    for (JsonNode p : panels(dashboard)) {
      for (JsonNode t : p.path("targets")) {
        out.put("panel '" + p.path("title").asText() + "' query " + t.path("refId").asText(), t.path("expr").asText());
      }
    }
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (v.path("type").asText().equals("query")) {
        out.put("variable $" + v.path("name").asText(), variableQuery(v));
      }
    }
    return out;
  }

  static final Pattern LABEL_VALUES = Pattern.compile("\\s*label_values\\((.*),\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\)\\s*");
  static final Set<String> RATES = Set.of("rate", "irate", "increase");

  static Set<String> usedMetrics(JsonNode dashboard) {
    Set<String> used = new TreeSet<>();
    for (String q : queries(dashboard).values()) {
      Matcher lv = LABEL_VALUES.matcher(q);
      for (Selector s : Query.scan(lv.matches() ? lv.group(1) : q).selectors()) {
        used.add(s.metric());
      }
    }
    return used;
  }

  /** What is wrong with the dashboard's queries against what the server exports; empty if nothing. */
  static List<String> problems(JsonNode dashboard, Exposition exported) {
    List<String> problems = new ArrayList<>();
    for (var e : queries(dashboard).entrySet()) {
      String where = e.getKey();
      String expr = e.getValue();
      Matcher lv = LABEL_VALUES.matcher(expr);
      boolean labelValues = lv.matches(); // label_values(SELECTOR, LABEL) reads series, not values
      if (labelValues) {
        expr = lv.group(1);
        Query q = Query.scan(expr);
        for (Selector s : q.selectors()) {
          if (exported.has(s.metric()) && !exported.labels(s.metric()).contains(lv.group(2))) {
            problems.add(where + ": " + s.metric() + " has no label '" + lv.group(2) + "'; it has "
                + exported.labels(s.metric()));
          }
        }
      }
      Query q = Query.scan(expr);
      if (q.selectors().isEmpty()) {
        problems.add(where + ": queries no metric: " + expr);
      }
      Set<String> labelsInQuery = new HashSet<>();
      boolean buckets = false;
      for (Selector s : q.selectors()) {
        String m = s.metric();
        if (!exported.has(m)) {
          problems.add(where + ": metric '" + m + "' is not exported by the server (for a histogram, query"
              + " NAME_bucket, NAME_count or NAME_sum; families with labels appear once their data exists). Exported"
              + " semcache samples: " + exported.names().stream().filter(n -> n.startsWith("semcache_")).toList());
          continue;
        }
        labelsInQuery.addAll(exported.labels(m));
        buckets |= m.endsWith("_bucket");
        String type = exported.typeOf(m);
        boolean cumulative = type.equals("counter") || type.equals("histogram");
        if (cumulative && !labelValues && !RATES.contains(s.function())) {
          problems.add(where + ": " + m + " is a " + type + " (it only grows, and restarts at zero): read it through"
              + " rate() or increase(), not " + (s.function().isEmpty() ? "as it is" : s.function() + "()"));
        }
        if (type.equals("gauge") && RATES.contains(s.function())) {
          problems.add(where + ": " + m + " is a gauge; " + s.function() + "() is only for counters");
        }
        for (LabelMatcher lm : s.matchers()) {
          if (!exported.labels(m).contains(lm.label())) {
            problems.add(where + ": " + m + " has no label '" + lm.label() + "'; it has " + exported.labels(m));
            continue;
          }
          for (String v : lm.literalValues()) {
            if (!exported.values(m, lm.label()).contains(v)) {
              problems.add(where + ": " + m + "{" + lm.label() + "} never has the value '" + v + "'; it has "
                  + exported.values(m, lm.label()));
            }
          }
        }
      }
      for (String g : q.grouping()) {
        if (!labelsInQuery.contains(g)) {
          problems.add(where + ": groups by '" + g + "', a label none of its metrics has (" + labelsInQuery + ")");
        }
      }
      if (buckets && !q.grouping().isEmpty() && !q.grouping().contains("le")) {
        problems.add(where + ": aggregates histogram buckets without keeping 'le'");
      }
    }
    return problems;
  }

  // ------------------------------------------------------------------ the server's exposition

  /** The Prometheus text exposition, as sample names with their labels' values, and family types. */
  record Exposition(Map<String, Map<String, Set<String>>> samples, Map<String, String> types) {
    static Exposition parse(String text) {
      Map<String, Map<String, Set<String>>> samples = new TreeMap<>();
      Map<String, String> types = new HashMap<>();
      for (String line : text.split("\n")) {
        if (line.startsWith("# TYPE ")) {
          String[] f = line.substring(7).trim().split(" ");
          types.put(f[0], f[1]);
          continue;
        }
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
          i++;
        }
        Map<String, Set<String>> labels = samples.computeIfAbsent(line.substring(0, i), k -> new TreeMap<>());
        if (i < line.length() && line.charAt(i) == '{') {
          i++;
          while (line.charAt(i) != '}') {
            int eq = line.indexOf('=', i);
            String name = line.substring(i, eq).trim();
            StringBuilder v = new StringBuilder();
            int j = eq + 2; // past ="
            while (line.charAt(j) != '"') {
              char c = line.charAt(j++);
              if (c == '\\') {
                char n = line.charAt(j++);
                v.append(n == 'n' ? '\n' : n);
              } else {
                v.append(c);
              }
            }
            labels.computeIfAbsent(name, k -> new TreeSet<>()).add(v.toString());
            i = j + 1;
            if (line.charAt(i) == ',') {
              i++;
            }
          }
        }
      }
      return new Exposition(samples, types);
    }

    boolean has(String sample) {
      return samples.containsKey(sample);
    }

    Set<String> names() {
      return samples.keySet();
    }

    Set<String> labels(String sample) {
      return samples.getOrDefault(sample, Map.of()).keySet();
    }

    Set<String> values(String sample, String label) {
      return samples.getOrDefault(sample, Map.of()).getOrDefault(label, Set.of());
    }

    /** The family a sample belongs to: its own name, or a histogram's or summary's name without the suffix. */
    String familyOf(String sample) {
      if (types.containsKey(sample)) {
        return sample;
      }
      for (String suffix : List.of("_bucket", "_count", "_sum", "_created")) {
        if (sample.endsWith(suffix) && types.containsKey(sample.substring(0, sample.length() - suffix.length()))) {
          return sample.substring(0, sample.length() - suffix.length());
        }
      }
      return sample;
    }

    String typeOf(String sample) {
      return types.getOrDefault(familyOf(sample), "untyped");
    }

    Set<String> families() {
      Set<String> out = new TreeSet<>();
      for (String s : samples.keySet()) {
        out.add(familyOf(s));
      }
      return out;
    }
  }

  // ------------------------------------------------------------------ a small PromQL scanner

  record LabelMatcher(String label, String op, String value) {
    /** The values an equality matcher, or a regex matcher that is a plain alternation, names literally. */
    List<String> literalValues() {
      if (value.contains("$")) {
        return List.of(); // a Grafana variable
      }
      if (op.equals("=") || op.equals("!=")) {
        return List.of(value);
      }
      return value.matches("[A-Za-z0-9_]+(\\|[A-Za-z0-9_]+)*") ? List.of(value.split("\\|")) : List.of();
    }
  }

  /**
   * A metric selector.
   *
   * @param function the function or aggregation it is directly inside ("" at the top)
   */
  record Selector(String metric, List<LabelMatcher> matchers, String function) {}

  /**
   * What a PromQL expression selects, and the labels its {@code by}/{@code without}/{@code on}/{@code
   * ignoring}/{@code group_*} clauses name. Enough PromQL to read a dashboard: strings, Grafana
   * variables ({@code $x}, {@code ${x}}), ranges and subqueries, numbers and durations, function calls,
   * aggregations with their clause before or after the parentheses, and binary operators.
   */
  record Query(List<Selector> selectors, Set<String> grouping) {
    static final Set<String> CLAUSES = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");
    static final Set<String> WORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan");
    static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
        "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio");

    static Query scan(String expr) {
      List<Selector> selectors = new ArrayList<>();
      Set<String> grouping = new LinkedHashSet<>();
      Deque<String> frames = new ArrayDeque<>();
      String pending = null; // a function or aggregation whose '(' comes next
      int i = 0;
      int n = expr.length();
      while (i < n) {
        char c = expr.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
        } else if (c == '"' || c == '\'' || c == '`') {
          i = skipString(expr, i);
        } else if (c == '$') {
          i++;
          if (i < n && expr.charAt(i) == '{') {
            i = expr.indexOf('}', i) + 1;
          } else {
            while (i < n && isIdentPart(expr.charAt(i))) {
              i++;
            }
          }
        } else if (c == '[') {
          i = expr.indexOf(']', i) + 1;
        } else if (c == '(') {
          frames.push(pending == null ? "" : pending);
          pending = null;
          i++;
        } else if (c == ')') {
          if (!frames.isEmpty()) {
            frames.pop();
          }
          i++;
        } else if (Character.isDigit(c) || (c == '.' && i + 1 < n && Character.isDigit(expr.charAt(i + 1)))) {
          i++;
          while (i < n && (isIdentPart(expr.charAt(i)) || expr.charAt(i) == '.'
              || ((expr.charAt(i) == '-' || expr.charAt(i) == '+') && (expr.charAt(i - 1) == 'e' || expr.charAt(i - 1) == 'E')))) {
            i++;
          }
        } else if (isIdentStart(c)) {
          int start = i;
          while (i < n && isIdentPart(expr.charAt(i))) {
            i++;
          }
          String word = expr.substring(start, i);
          int next = skipSpace(expr, i);
          char after = next < n ? expr.charAt(next) : 0;
          if (CLAUSES.contains(word)) {
            if (after == '(') {
              int close = expr.indexOf(')', next);
              for (String label : expr.substring(next + 1, close).split(",")) {
                if (!label.isBlank()) {
                  grouping.add(label.trim());
                }
              }
              i = close + 1;
            }
          } else if (WORDS.contains(word.toLowerCase(java.util.Locale.ROOT))) {
            // an operator or a keyword
          } else if (after == '(') {
            pending = word;
          } else if (AGGREGATIONS.contains(word) && (expr.startsWith("by", next) || expr.startsWith("without", next))) {
            pending = word; // the clause comes first; the '(' after it is the aggregation's
          } else {
            List<LabelMatcher> matchers = new ArrayList<>();
            if (after == '{') {
              i = matchers(expr, next, matchers);
            }
            selectors.add(new Selector(word, matchers, frames.isEmpty() ? "" : frames.peek()));
          }
        } else if (c == '{') {
          List<LabelMatcher> matchers = new ArrayList<>();
          i = matchers(expr, i, matchers);
          String name = matchers.stream().filter(m -> m.label().equals("__name__") && m.op().equals("="))
              .map(LabelMatcher::value).findFirst().orElse("{}");
          selectors.add(new Selector(name, matchers, frames.isEmpty() ? "" : frames.peek()));
        } else {
          i++; // an operator
        }
      }
      return new Query(selectors, grouping);
    }

    /** Reads {@code {a="x", b=~"y"}} from its '{'; returns the index after the '}'. */
    static int matchers(String expr, int open, List<LabelMatcher> out) {
      int i = open + 1;
      while (true) {
        i = skipSpace(expr, i);
        char c = expr.charAt(i);
        if (c == '}') {
          return i + 1;
        }
        if (c == ',') {
          i++;
          continue;
        }
        int start = i;
        while (isIdentPart(expr.charAt(i))) {
          i++;
        }
        String label = expr.substring(start, i);
        i = skipSpace(expr, i);
        String op = expr.startsWith("=~", i) ? "=~" : expr.startsWith("!~", i) ? "!~" : expr.startsWith("!=", i) ? "!="
            : expr.startsWith("=", i) ? "=" : null;
        if (op == null || label.isEmpty()) {
          throw new IllegalArgumentException("cannot read the label matchers at " + i + " of: " + expr);
        }
        i = skipSpace(expr, i + op.length());
        int end = skipString(expr, i);
        out.add(new LabelMatcher(label, op, unquote(expr.substring(i, end))));
        i = end;
      }
    }

    static int skipString(String expr, int i) {
      char quote = expr.charAt(i);
      int j = i + 1;
      while (expr.charAt(j) != quote) {
        j += expr.charAt(j) == '\\' && quote != '`' ? 2 : 1;
      }
      return j + 1;
    }

    static String unquote(String s) {
      String body = s.substring(1, s.length() - 1);
      return s.charAt(0) == '`' ? body : body.replaceAll("\\\\(.)", "$1");
    }

    static int skipSpace(String expr, int i) {
      while (i < expr.length() && Character.isWhitespace(expr.charAt(i))) {
        i++;
      }
      return i;
    }

    static boolean isIdentStart(char c) {
      return Character.isLetter(c) || c == '_' || c == ':';
    }

    static boolean isIdentPart(char c) {
      return Character.isLetterOrDigit(c) || c == '_' || c == ':';
    }
  }
}
