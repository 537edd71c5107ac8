package dev.semcache.server.http;

import dev.semcache.server.config.ConfigException;
import dev.semcache.server.config.TlsConfig;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listener's TLS context, built by Netty's {@link SslContextBuilder} from the PEM certificate chain
 * and key in the config, and built again when the files change (checked every {@code tls.reload_s}) or
 * on {@link #reload()} (SIGHUP): certificates are renewed without a restart. A new context serves new
 * connections; open ones keep theirs. A pair that fails to load leaves the previous one in use, and
 * says why in the log; at start it stops the server.
 */
final class TlsContext implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(TlsContext.class);

  private final Path cert;
  private final Path key;
  private volatile SslContext current;
  private volatile FileTime[] loadedTimes;
  private final ScheduledExecutorService watcher;

  TlsContext(TlsConfig config) {
    this.cert = Path.of(config.certFile());
    this.key = Path.of(config.keyFile());
    try {
      this.current = build();
    } catch (Exception e) {
      throw new ConfigException("cannot load TLS certificate " + cert + " and key " + key + ": " + e.getMessage(), e);
    }
    LOG.info("TLS on: certificate {} and key {}", cert, key);
    if (config.reloadS() > 0) {
      watcher = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "semcache-tls-reload");
        t.setDaemon(true);
        return t;
      });
      watcher.scheduleWithFixedDelay(this::reloadIfChanged, config.reloadS(), config.reloadS(), TimeUnit.SECONDS);
    } else {
      watcher = null;
    }
  }

  private SslContext build() throws Exception {
    FileTime[] times = times();
    SslContext built = SslContextBuilder.forServer(new File(cert.toString()), new File(key.toString())).build();
    loadedTimes = times;
    return built;
  }

  private FileTime[] times() throws java.io.IOException {
    return new FileTime[] {Files.getLastModifiedTime(cert), Files.getLastModifiedTime(key)};
  }

  private void reloadIfChanged() {
    try {
      FileTime[] now = times();
      if (!now[0].equals(loadedTimes[0]) || !now[1].equals(loadedTimes[1])) {
        reload();
      }
    } catch (java.io.IOException e) {
      LOG.warn("cannot read the TLS files {} and {} ({}); serving with the certificate loaded before", cert, key,
          e.toString());
    }
  }

  /** Loads the files again; on failure the previous context stays. Returns whether it changed. */
  boolean reload() {
    try {
      current = build();
      LOG.info("TLS certificate {} and key {} reloaded", cert, key);
      return true;
    } catch (Exception e) {
      LOG.error("cannot reload TLS certificate {} and key {}; serving with the one loaded before", cert, key, e);
      return false;
    }
  }

  SslHandler newHandler(ByteBufAllocator alloc) {
    return current.newHandler(alloc);
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.shutdownNow();
    }
  }
}
