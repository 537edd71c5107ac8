package dev.semcache.server.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code semcache serve}. The HTTP server is the subject of issue 4 and is not part of this build; the
 * command says so and fails rather than pretend to serve.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
    description = "Run the cache server (not in this build yet: see README, 'Status').")
final class ServeCommand implements Callable<Integer> {
  static final int NOT_AVAILABLE = 3;

  @Option(names = "--port", description = "TCP port on 127.0.0.1 (default: ${DEFAULT-VALUE}).", defaultValue = "8080")
  int port;

  @Option(names = "--data-dir", description = "Where entries and the index live (default: ${DEFAULT-VALUE}).",
      defaultValue = "data")
  Path dataDir;

  @Option(names = "--config", description = "Configuration file.")
  Path config;

  @Override
  public Integer call() {
    System.err.println("semcache serve: the HTTP server is not part of this build yet."
        + " What works today: 'semcache embed TEXT...' and 'semcache models' (see README, 'Status').");
    return NOT_AVAILABLE;
  }
}
