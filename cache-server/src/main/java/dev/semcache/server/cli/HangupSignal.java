package dev.semcache.server.cli;

import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs an action on SIGHUP (the usual "reload your files" signal). The JDK offers signals only through
 * {@code sun.misc.Signal} in the {@code jdk.unsupported} module; it is reached by reflection so that the
 * build does not depend on it, and where it is missing (or the signal is taken) the server runs on without
 * it and says so: certificates are then reloaded by the file check alone.
 */
final class HangupSignal {
  private static final Logger LOG = LoggerFactory.getLogger(HangupSignal.class);

  private HangupSignal() {}

  static void onHangup(Runnable action) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      Object hup = signal.getConstructor(String.class).newInstance("HUP");
      Object proxy = Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, (p, m, args) -> {
        if (m.getName().equals("handle")) {
          LOG.info("SIGHUP: reloading the TLS certificate and key");
          action.run();
        }
        return null;
      });
      signal.getMethod("handle", signal, handler).invoke(null, hup, proxy);
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.warn("SIGHUP cannot be handled here ({}); the TLS files are still reloaded when they change", e.toString());
    }
  }
}
