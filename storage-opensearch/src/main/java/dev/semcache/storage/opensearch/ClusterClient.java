package dev.semcache.storage.opensearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.semcache.index.StorageUnavailableException;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hc.client5.http.auth.AuthScope;
import org.apache.hc.client5.http.auth.UsernamePasswordCredentials;
import org.apache.hc.client5.http.impl.auth.BasicCredentialsProvider;
import org.apache.hc.core5.http.HttpHost;
import org.apache.hc.core5.util.Timeout;
import org.opensearch.client.json.jackson.JacksonJsonpMapper;
import org.opensearch.client.opensearch.generic.Body;
import org.opensearch.client.opensearch.generic.OpenSearchGenericClient;
import org.opensearch.client.opensearch.generic.Requests;
import org.opensearch.client.opensearch.generic.Response;
import org.opensearch.client.transport.OpenSearchTransport;
import org.opensearch.client.transport.httpclient5.ResponseException;
import org.opensearch.client.transport.httpclient5.ApacheHttpClient5TransportBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster's REST API through the official {@code opensearch-java} client (its generic client: semcache
 * writes its own request bodies, so that what it sends is exactly the k-NN query, bulk lines and scripts
 * documented by OpenSearch). Retries with exponential backoff what the cluster may answer later (429, 502,
 * 503, 504, no connection), and turns what stays unavailable into {@link StorageUnavailableException}
 * naming the cause. Other answers, 404 and 409 included, go back to the caller with their status.
 */
final class ClusterClient implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterClient.class);
  static final ObjectMapper JSON = new ObjectMapper();
  /** Attempts of one request: the first and three retries, 50, 200 and 800 ms apart. */
  private static final int ATTEMPTS = 4;
  private static final long FIRST_BACKOFF_MS = 50;

  private final OpenSearchTransport transport;
  private final OpenSearchGenericClient client;
  private final String hosts;

  /** An answer: its status and body ({@link MissingNode} when it had none). */
  record Reply(int status, JsonNode body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  ClusterClient(OpenSearchOptions o) {
    this.hosts = String.join(",", o.hosts());
    HttpHost[] nodes = o.hosts().stream().map(h -> {
      URI u = URI.create(h.strip());
      return new HttpHost(u.getScheme(), u.getHost(), u.getPort());
    }).toArray(HttpHost[]::new);
    ApacheHttpClient5TransportBuilder b = ApacheHttpClient5TransportBuilder.builder(nodes)
        .setMapper(new JacksonJsonpMapper(JSON))
        .setRequestConfigCallback(rc -> rc
            .setConnectTimeout(Timeout.of(o.connectTimeout().toMillis(), TimeUnit.MILLISECONDS))
            .setResponseTimeout(Timeout.of(o.requestTimeout().toMillis() * 3, TimeUnit.MILLISECONDS)));
    if (o.username() != null) {
      BasicCredentialsProvider credentials = new BasicCredentialsProvider();
      for (HttpHost h : nodes) {
        credentials.setCredentials(new AuthScope(h), new UsernamePasswordCredentials(o.username(),
            o.password().toCharArray()));
      }
      b.setHttpClientConfigCallback(hc -> hc.setDefaultCredentialsProvider(credentials));
    }
    this.transport = b.build();
    this.client = new OpenSearchGenericClient(transport);
  }

  String hosts() {
    return hosts;
  }

  /** A request with a JSON body (or none), retried while the cluster is busy or unreachable. */
  Reply call(String method, String path, Map<String, String> params, Object json) {
    byte[] body = null;
    if (json != null) {
      try {
        body = JSON.writeValueAsBytes(json);
      } catch (IOException e) {
        throw new IllegalStateException("cannot encode a request to " + path, e);
      }
    }
    return send(method, path, params, body, "application/json");
  }

  /** A bulk request: {@code ndjson} holds the action and document lines, each ending in a newline. */
  Reply bulk(String ndjson, Map<String, String> params) {
    return send("POST", "/_bulk", params, ndjson.getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
  }

  private Reply send(String method, String path, Map<String, String> params, byte[] body, String contentType) {
    long backoff = FIRST_BACKOFF_MS;
    String last = null;
    Throwable lastError = null;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
      int status;
      JsonNode parsed;
      try (Response r = client.execute(Requests.create(method, path, List.of(), params,
          body == null ? null : Body.from(body, contentType)))) {
        status = r.getStatus();
        parsed = r.getBody().map(ClusterClient::parse).orElse(MissingNode.getInstance());
      } catch (IOException | RuntimeException e) {
        ResponseException answered = answered(e);
        if (answered != null) {
          // the transport throws on some statuses (409, and 5xx after trying every node): an answer all the same
          status = answered.status();
          parsed = parse(answered);
        } else if (e instanceof RuntimeException && !(e.getCause() instanceof IOException)) {
          throw (RuntimeException) e;
        } else {
          last = "OpenSearch cluster at " + hosts + " is unreachable (" + rootCause(e) + ")";
          lastError = e;
          status = -1;
          parsed = MissingNode.getInstance();
        }
      }
      if (status == 429 || status == 502 || status == 503 || status == 504) {
        last = "OpenSearch answered " + status + " to " + method + " " + path + ": " + reason(parsed);
        lastError = null;
      } else if (status >= 500) {
        throw new StorageUnavailableException("OpenSearch cluster at " + hosts + " failed " + method + " " + path
            + " with " + status + ": " + reason(parsed));
      } else if (status >= 0) {
        return new Reply(status, parsed);
      }
      if (attempt < ATTEMPTS) {
        LOG.debug("{}; retrying in {} ms", last, backoff);
        sleep(backoff);
        backoff *= 4;
      }
    }
    throw new StorageUnavailableException(last, lastError);
  }

  private static ResponseException answered(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof ResponseException r) {
        return r;
      }
    }
    return null;
  }

  /** The body of an answer the transport threw: its message ends with it, after the status line. */
  private static JsonNode parse(ResponseException e) {
    String m = e.getMessage();
    int line = m == null ? -1 : m.indexOf("status line [");
    int start = line < 0 ? -1 : m.indexOf('{', line);
    if (start < 0) {
      return MissingNode.getInstance();
    }
    try {
      return JSON.readTree(m.substring(start));
    } catch (IOException x) {
      return MissingNode.getInstance();
    }
  }

  private static JsonNode parse(Body b) {
    try {
      byte[] bytes = b.bodyAsBytes();
      return bytes.length == 0 ? MissingNode.getInstance() : JSON.readTree(bytes);
    } catch (IOException e) {
      return MissingNode.getInstance();
    }
  }

  /** The cluster's own words for an error: {@code error.type: error.reason}, or the body. */
  static String reason(JsonNode body) {
    JsonNode error = body.path("error");
    if (error.isObject()) {
      JsonNode cause = error.path("root_cause").path(0);
      JsonNode e = cause.isObject() ? cause : error;
      return e.path("type").asText() + ": " + e.path("reason").asText();
    }
    if (error.isTextual()) {
      return error.asText();
    }
    String s = body.toString();
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** A path segment, escaped: document ids hold '/' (record keys) and any character. */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StorageUnavailableException("interrupted while waiting to retry a request to OpenSearch", e);
    }
  }

  @Override
  public void close() {
    try {
      transport.close();
    } catch (IOException e) {
      LOG.warn("closing the OpenSearch client: {}", e.toString());
    }
  }
}
