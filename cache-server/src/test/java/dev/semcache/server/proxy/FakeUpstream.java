package dev.semcache.server.proxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A small OpenAI-compatible server on 127.0.0.1 for proxy tests: a real process-level HTTP server
 * (the JDK's), a real socket, real SSE. It answers {@code POST /v1/chat/completions} (whole, or
 * streamed chunk by chunk with a delay), {@code /v1/completions} and {@code /v1/embeddings}, counts every
 * call, and remembers the {@code Authorization} headers it saw. What it does is chosen by markers in the
 * last user message, so that any client can ask for it:
 * <ul>
 *   <li>{@code [error NNN]}: answers status NNN with an OpenAI error body;
 *   <li>{@code [die]}: starts the answer (a stream: three chunks) and breaks the connection;
 *   <li>{@code [tool]}: answers with a tool call ({@code finish_reason: tool_calls});
 *   <li>{@code [length]}: stops with {@code finish_reason: length};
 *   <li>{@code [slow]}: waits {@link #SLOW_MS} ms before each streamed chunk.
 * </ul>
 * The answer's text is a pure function of the conversation (its first and last user turns, the number
 * of messages and the model), so the same request always gets the same answer and two conversations
 * never get the same one. {@code GET /calls} returns the counts as JSON.
 */
public final class FakeUpstream implements AutoCloseable {
  public static final int SLOW_MS = 40;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ERROR = Pattern.compile("\\[error (\\d{3})]");

  private final HttpServer server;
  private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
  /** Every Authorization header received, in order. */
  public final List<String> authorizations = new CopyOnWriteArrayList<>();
  private volatile int chunkDelayMs;

  public FakeUpstream() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fake-upstream");
      t.setDaemon(true);
      return t;
    }));
    server.createContext("/", this::handle);
    server.start();
  }

  /** The base URL a client or semcache's {@code proxy.upstream} uses: {@code http://127.0.0.1:PORT/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
  }

  /** Calls received on a path ({@code /v1/chat/completions}). */
  public int calls(String path) {
    AtomicInteger n = calls.get(path);
    return n == null ? 0 : n.get();
  }

  public int chatCalls() {
    return calls("/v1/chat/completions");
  }

  /** A delay before every streamed chunk, for all requests (time to first byte measurements). */
  public void chunkDelayMs(int ms) {
    chunkDelayMs = ms;
  }

  /** The text this server answers to a conversation. */
  public static String answerTo(JsonNode request) {
    ArrayNode messages = (ArrayNode) request.path("messages");
    String first = null;
    String last = null;
    for (JsonNode m : messages) {
      if (m.path("role").asText().equals("user")) {
        String text = m.path("content").isTextual() ? m.path("content").asText() : m.path("content").toString();
        if (first == null) {
          first = text;
        }
        last = text;
      }
    }
    return "Answer to '" + last + "' in the conversation that began with '" + first + "' (" + messages.size()
        + " messages, model " + request.path("model").asText() + ").";
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String path = ex.getRequestURI().getPath();
      if (ex.getRequestMethod().equals("GET") && path.equals("/calls")) {
        ObjectNode out = JSON.createObjectNode();
        calls.forEach((k, v) -> out.put(k, v.get()));
        send(ex, 200, "application/json", out.toString());
        return;
      }
      calls.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      authorizations.add(auth == null ? "" : auth);
      JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
      switch (path) {
        case "/v1/chat/completions" -> chat(ex, req);
        case "/v1/embeddings" -> send(ex, 200, "application/json", "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\","
            + "\"index\":0,\"embedding\":[0.1,0.2,0.3]}],\"model\":\"" + req.path("model").asText() + "\"}");
        case "/v1/completions" -> send(ex, 200, "application/json", "{\"id\":\"cmpl-1\",\"object\":\"text_completion\","
            + "\"choices\":[{\"index\":0,\"text\":\"completed: " + req.path("prompt").asText().replace("\"", "") + "\","
            + "\"finish_reason\":\"stop\"}]}");
        default -> send(ex, 404, "application/json", "{\"error\":{\"message\":\"no such path\",\"type\":\"invalid_request_error\"}}");
      }
    }
  }

  private void chat(HttpExchange ex, JsonNode req) throws IOException {
    String last = "";
    for (JsonNode m : req.path("messages")) {
      last = m.path("content").isTextual() ? m.path("content").asText() : m.path("content").toString();
    }
    Matcher err = ERROR.matcher(last);
    if (err.find()) {
      int status = Integer.parseInt(err.group(1));
      send(ex, status, "application/json", "{\"error\":{\"message\":\"fake upstream error " + status
          + "\",\"type\":\"server_error\",\"code\":\"fake_" + status + "\"}}");
      return;
    }
    boolean tool = last.contains("[tool]");
    String finish = tool ? "tool_calls" : last.contains("[length]") ? "length" : "stop";
    String content = tool ? null : answerTo(req);
    String model = req.path("model").asText();
    if (req.path("stream").asBoolean(false)) {
      stream(ex, req, model, content, finish, last.contains("[die]"), last.contains("[slow]") ? SLOW_MS : chunkDelayMs);
      return;
    }
    ObjectNode out = JSON.createObjectNode();
    out.put("id", "chatcmpl-fake").put("object", "chat.completion").put("created", 1700000000).put("model", model);
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message").put("role", "assistant");
    if (tool) {
      message.putNull("content");
      message.putArray("tool_calls").addObject().put("id", "call_1").put("type", "function").putObject("function")
          .put("name", "get_weather").put("arguments", "{\"city\":\"Paris\"}");
    } else {
      message.put("content", content);
    }
    choice.put("finish_reason", finish);
    out.putObject("usage").put("prompt_tokens", 11).put("completion_tokens", 7).put("total_tokens", 18);
    byte[] body = out.toString().getBytes(StandardCharsets.UTF_8);
    if (last.contains("[die]")) {
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(200, body.length + 100L); // promises more than it sends: the client sees a broken answer
      ex.getResponseBody().write(body, 0, body.length / 2);
      ex.getResponseBody().flush();
      throw new IOException("fake upstream dies mid-answer");
    }
    send(ex, 200, "application/json", out.toString());
  }

  private static void stream(HttpExchange ex, JsonNode req, String model, String content, String finish, boolean die,
      int delayMs) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "text/event-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-cache");
    if (die) {
      ex.sendResponseHeaders(200, 1_000_000); // a length it never reaches: closing early breaks the connection
    } else {
      ex.sendResponseHeaders(200, 0);
    }
    OutputStream out = ex.getResponseBody();
    event(out, chunk(model, JSON.createObjectNode().put("role", "assistant").put("content", ""), null), delayMs);
    if (content != null) {
      String[] words = content.split("(?<= )");
      for (int i = 0; i < words.length; i++) {
        event(out, chunk(model, JSON.createObjectNode().put("content", words[i]), null), delayMs);
        if (die && i == 2) {
          throw new IOException("fake upstream dies mid-stream");
        }
      }
    } else {
      ObjectNode delta = JSON.createObjectNode();
      delta.putArray("tool_calls").addObject().put("index", 0).put("id", "call_1").put("type", "function")
          .putObject("function").put("name", "get_weather").put("arguments", "{\"city\":\"Paris\"}");
      event(out, chunk(model, delta, null), delayMs);
    }
    event(out, chunk(model, JSON.createObjectNode(), finish), delayMs);
    if (req.path("stream_options").path("include_usage").asBoolean(false)) {
      ObjectNode u = JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion.chunk")
          .put("created", 1700000000).put("model", model);
      u.putArray("choices");
      u.putObject("usage").put("prompt_tokens", 11).put("completion_tokens", 7).put("total_tokens", 18);
      event(out, u, 0);
    }
    out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private static ObjectNode chunk(String model, ObjectNode delta, String finish) {
    ObjectNode c = JSON.createObjectNode().put("id", "chatcmpl-fake").put("object", "chat.completion.chunk")
        .put("created", 1700000000).put("model", model);
    ObjectNode choice = c.putArray("choices").addObject().put("index", 0);
    choice.set("delta", delta);
    if (finish == null) {
      choice.putNull("finish_reason");
    } else {
      choice.put("finish_reason", finish);
    }
    return c;
  }

  private static void event(OutputStream out, ObjectNode chunk, int delayMs) throws IOException {
    if (delayMs > 0) {
      try {
        Thread.sleep(delayMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException(e);
      }
    }
    out.write(("data: " + chunk + "\n\n").getBytes(StandardCharsets.UTF_8));
    out.flush();
  }

  private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(status, b.length);
    ex.getResponseBody().write(b);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
