package dev.semcache.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.semcache.index.ManualClock;
import dev.semcache.server.config.TlsConfig;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSession;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the listener with a self-signed certificate made in the test by the JDK's keytool, then written
 * as PEM: the API answers over HTTPS, plain HTTP gets no answer, and a renewed certificate is served to
 * new connections after {@link SemcacheServer#reloadTls()} (what SIGHUP does) without a restart.
 */
class TlsTest {
  @TempDir
  Path dir;

  /** A self-signed certificate for 127.0.0.1 and localhost, as PEM files; returns the certificate. */
  private X509Certificate selfSigned(String alias, Path certPem, Path keyPem) throws Exception {
    Path store = dir.resolve(alias + ".p12");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
        "-dname", "CN=semcache-test", "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
        "-keystore", store.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as(out).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      ks.load(in, "changeit".toCharArray());
    }
    X509Certificate cert = (X509Certificate) ks.getCertificate(alias);
    byte[] key = ks.getKey(alias, "changeit".toCharArray()).getEncoded(); // PKCS#8
    Path tmpCert = dir.resolve(alias + ".crt.tmp");
    Path tmpKey = dir.resolve(alias + ".key.tmp");
    Files.writeString(tmpCert, pem("CERTIFICATE", cert.getEncoded()));
    Files.writeString(tmpKey, pem("PRIVATE KEY", key));
    Files.move(tmpCert, certPem, StandardCopyOption.REPLACE_EXISTING);
    Files.move(tmpKey, keyPem, StandardCopyOption.REPLACE_EXISTING);
    return cert;
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static HttpClient trusting(X509Certificate... certs) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    for (int i = 0; i < certs.length; i++) {
      trust.setCertificateEntry("c" + i, certs[i]);
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
  }

  private static HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static BigInteger servedSerial(HttpResponse<?> r) {
    SSLSession s = r.sslSession().orElseThrow();
    try {
      return ((X509Certificate) s.getPeerCertificates()[0]).getSerialNumber();
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void servesHttpsAndReloadsARenewedCertificate() throws Exception {
    Path cert = dir.resolve("server.crt");
    Path key = dir.resolve("server.key");
    X509Certificate first = selfSigned("first", cert, key);
    try (TestServer server = new TestServer(TestServer.config(dir.resolve("data"))
        .withTls(new TlsConfig(cert.toString(), key.toString(), 0)), new ManualClock())) {
      String url = "https://127.0.0.1:" + server.port() + "/v1/namespaces";
      HttpResponse<String> r = get(trusting(first), url);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("\"namespaces\"");
      assertThat(servedSerial(r)).isEqualTo(first.getSerialNumber());

      RawHttp.Exchange plain = RawHttp.send(server.port(),
          "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(), 1, 5_000);
      assertThat(plain.answers()).as("plain HTTP gets no HTTP answer").isEmpty();

      X509Certificate second = selfSigned("second", cert, key);
      assertThat(server.server.reloadTls()).isTrue();
      HttpResponse<String> renewed = get(trusting(first, second), url);
      assertThat(servedSerial(renewed)).isEqualTo(second.getSerialNumber());

      Files.writeString(key, "not a key");
      assertThat(server.server.reloadTls()).as("a broken pair leaves the last good one").isFalse();
      assertThat(servedSerial(get(trusting(first, second), url))).isEqualTo(second.getSerialNumber());
    }
  }
}
