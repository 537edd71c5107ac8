package dev.semcache.server.http;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Without API keys semcache trusts every caller that reaches it, which it allows only on loopback. But a
 * web page in the user's browser reaches loopback too: through DNS rebinding (the page's own host name
 * resolved to 127.0.0.1, so the browser sends {@code Host: evil.example}) or a cross-site {@code fetch}
 * (the browser sends the page's {@code Origin}). Either could read or poison the cache. So in loopback
 * mode a request must name a loopback host ({@code localhost}, {@code 127.x.x.x}, {@code [::1]}, any
 * port) if it names one, and must not come from a foreign origin. Requests that no browser sends without
 * these headers (curl, gateways) are unaffected. With keys the key is the boundary and this check is off.
 */
final class HostCheck {
  private static final Pattern IPV4_LOOPBACK = Pattern.compile("127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");

  /**
   * The last Host value found to be loopback. Clients send the same value on every request of a
   * connection, so one string comparison usually replaces the parse and the pattern (2% of an exact hit's
   * event-loop time, JFR). The check is a pure function of the string, so a stale value cannot be wrong.
   */
  private static volatile String lastLoopbackHost = "";

  private HostCheck() {}

  /** The refusal of a request a web page may have made, or null if it may go on. */
  static ApiException refusal(HttpCall call) {
    String host = call.header(HttpHeaderNames.HOST);
    if (host != null && !host.equals(lastLoopbackHost) && !loopbackHostHeader(host)) {
      return new ApiException(HttpResponseStatus.FORBIDDEN, "foreign_host", "this semcache has no API keys and"
          + " answers only requests addressed to a loopback host (localhost, 127.0.0.1, [::1]); Host='"
          + JsonBody.abbreviate(host) + "'. Configure api_keys to serve other host names");
    }
    String origin = call.header(HttpHeaderNames.ORIGIN);
    if (origin != null && !loopbackOrigin(origin)) {
      return new ApiException(HttpResponseStatus.FORBIDDEN, "foreign_origin", "this semcache has no API keys and"
          + " refuses requests from web pages of other origins; Origin='" + JsonBody.abbreviate(origin) + "'");
    }
    return null;
  }

  /** Whether a Host header value ({@code name} or {@code name:port}) names a loopback host. */
  static boolean loopbackHostHeader(String value) {
    boolean loopback = parsedLoopbackHost(value);
    if (loopback) {
      lastLoopbackHost = value;
    }
    return loopback;
  }

  private static boolean parsedLoopbackHost(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT);
    String name;
    if (v.startsWith("[")) {
      int end = v.indexOf(']');
      if (end < 0 || !(end == v.length() - 1 || isPort(v.substring(end + 1)))) {
        return false;
      }
      name = v.substring(1, end);
    } else {
      int colon = v.indexOf(':');
      if (colon >= 0 && !isPort(v.substring(colon))) {
        return false;
      }
      name = colon < 0 ? v : v.substring(0, colon);
    }
    return loopbackName(name);
  }

  static boolean loopbackOrigin(String origin) {
    try {
      URI u = new URI(origin.trim());
      String scheme = u.getScheme();
      String host = u.getHost();
      if (scheme == null || host == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))) {
        return false; // "null" (sandboxed frames, file: pages) and anything odd
      }
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      return loopbackName(host.toLowerCase(Locale.ROOT));
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static boolean loopbackName(String name) {
    return name.equals("localhost") || name.equals("::1") || name.equals("0:0:0:0:0:0:0:1")
        || IPV4_LOOPBACK.matcher(name).matches();
  }

  private static boolean isPort(String colonAndDigits) {
    if (colonAndDigits.length() < 2 || colonAndDigits.length() > 6 || colonAndDigits.charAt(0) != ':') {
      return false;
    }
    for (int i = 1; i < colonAndDigits.length(); i++) {
      if (!Character.isDigit(colonAndDigits.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
