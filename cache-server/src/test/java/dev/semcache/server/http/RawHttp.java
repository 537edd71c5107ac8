package dev.semcache.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Bytes on a socket, for requests no well-behaved client library would send: broken framing, bad UTF-8,
 * slow writers, pipelined floods. Reads answers by {@code Content-Length}.
 */
final class RawHttp {
  record Answer(int status, String head, String body) {
    String header(String name) {
      for (String line : head.split("\r\n")) {
        int c = line.indexOf(':');
        if (c > 0 && line.substring(0, c).trim().equalsIgnoreCase(name)) {
          return line.substring(c + 1).trim();
        }
      }
      return null;
    }
  }

  /** What a connection got: its answers in order, and whether the server closed it. */
  record Exchange(List<Answer> answers, boolean closedByServer) {
    Answer first() {
      return answers.isEmpty() ? null : answers.get(0);
    }
  }

  private RawHttp() {}

  static byte[] request(String method, String target, String contentType, byte[] body, String... extraHeaders) {
    StringBuilder head = new StringBuilder(method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    if (contentType != null) {
      head.append("Content-Type: ").append(contentType).append("\r\n");
    }
    for (String h : extraHeaders) {
      head.append(h).append("\r\n");
    }
    if (body != null) {
      head.append("Content-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
    byte[] out = new byte[h.length + (body == null ? 0 : body.length)];
    System.arraycopy(h, 0, out, 0, h.length);
    if (body != null) {
      System.arraycopy(body, 0, out, h.length, body.length);
    }
    return out;
  }

  static byte[] json(String method, String target, String json) {
    return request(method, target, "application/json", json.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Sends {@code bytes}, then reads answers until {@code expected} have arrived or the server closes,
   * waiting at most {@code timeoutMillis} for each read.
   */
  static Exchange send(int port, byte[] bytes, int expected, int timeoutMillis) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(timeoutMillis);
      OutputStream out = s.getOutputStream();
      try {
        out.write(bytes);
        out.flush();
      } catch (IOException e) {
        // the server may close before reading everything (oversized bodies); read what it said
      }
      return read(s.getInputStream(), expected);
    }
  }

  static Exchange read(InputStream in, int expected) throws IOException {
    List<Answer> answers = new ArrayList<>();
    boolean closed = false;
    try {
      while (answers.size() < expected) {
        String head = readHead(in);
        if (head == null) {
          closed = true;
          break;
        }
        int status = Integer.parseInt(head.substring(9, 12));
        int length = 0;
        for (String line : head.split("\r\n")) {
          if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
            length = Integer.parseInt(line.substring(15).trim());
          }
        }
        byte[] body = in.readNBytes(length);
        answers.add(new Answer(status, head, new String(body, StandardCharsets.UTF_8)));
        Answer last = answers.get(answers.size() - 1);
        if ("close".equalsIgnoreCase(last.header("Connection"))) {
          closed = in.read() < 0;
          break;
        }
      }
    } catch (SocketTimeoutException e) {
      // no more answers within the time allowed
    } catch (java.net.SocketException e) {
      closed = true; // reset by the server
    }
    return new Exchange(answers, closed);
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int state = 0;
    while (state < 4) {
      int c = in.read();
      if (c < 0) {
        return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
      }
      b.write(c);
      state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
          : c == '\r' ? 1 : 0;
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }
}
