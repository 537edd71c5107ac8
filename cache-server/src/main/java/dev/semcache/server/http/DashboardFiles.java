package dev.semcache.server.http;

import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The operator dashboard's files (HTML, script, style), read once from the classpath
 * ({@code dev/semcache/server/dashboard/}) and served as they are. The page loads nothing from
 * elsewhere; its Content-Security-Policy says so to the browser. It carries no data and needs no key:
 * the figures come from the v1 API, with the key the operator types in.
 */
final class DashboardFiles {
  private static final String FOLDER = "/dev/semcache/server/dashboard/";
  private static final Map<String, String> TYPES = Map.of(
      "index.html", "text/html; charset=utf-8",
      "dashboard.js", "text/javascript; charset=utf-8",
      "dashboard.css", "text/css; charset=utf-8");
  private static final Map<String, String> HEADERS = Map.of(
      "Cache-Control", "no-cache",
      "X-Content-Type-Options", "nosniff",
      "Referrer-Policy", "no-referrer",
      "Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self';"
          + " img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");

  private final Map<String, byte[]> files;

  DashboardFiles() {
    var loaded = new java.util.HashMap<String, byte[]>();
    for (String name : TYPES.keySet()) {
      try (InputStream in = DashboardFiles.class.getResourceAsStream(FOLDER + name)) {
        if (in != null) {
          loaded.put(name, in.readAllBytes());
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read dashboard file " + name, e);
      }
    }
    this.files = Map.copyOf(loaded);
  }

  /** The file (index.html for null), or 404. */
  ApiResponse file(String name) {
    String n = name == null ? "index.html" : name;
    byte[] body = files.get(n);
    if (body == null) {
      throw new ApiException(HttpResponseStatus.NOT_FOUND, "not_found", "no dashboard file '" + JsonBody.abbreviate(n)
          + "'" + (files.isEmpty() ? " (this build has no dashboard)" : "; there are " + files.keySet()));
    }
    return new ApiResponse(HttpResponseStatus.OK, TYPES.get(n), body, HEADERS);
  }
}
