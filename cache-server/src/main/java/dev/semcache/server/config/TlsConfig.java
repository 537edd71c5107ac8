package dev.semcache.server.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * TLS on the listener. Off while {@code certFile} is empty.
 *
 * @param certFile PEM file with the server's certificate chain (the server's first)
 * @param keyFile PEM file with its private key, unencrypted PKCS#8 ({@code BEGIN PRIVATE KEY})
 * @param reloadS how often the two files are checked for a change, in seconds; a changed pair is loaded
 *     for new connections (so is any pair on SIGHUP). 0 turns the check off
 */
public record TlsConfig(
    @JsonProperty("cert_file") String certFile,
    @JsonProperty("key_file") String keyFile,
    @JsonProperty("reload_s") int reloadS) {

  public TlsConfig {
    certFile = certFile == null ? "" : certFile;
    keyFile = keyFile == null ? "" : keyFile;
    if (certFile.isBlank() != keyFile.isBlank()) {
      throw new IllegalArgumentException("tls.cert_file and tls.key_file go together: give both to serve HTTPS, or"
          + " neither; tls.cert_file=" + certFile + ", tls.key_file=" + keyFile);
    }
    HttpConfig.notNegative("tls.reload_s", reloadS);
  }

  public static TlsConfig defaults() {
    return new TlsConfig("", "", 10);
  }

  public boolean enabled() {
    return !certFile.isBlank();
  }
}
