package dev.semcache.server.cli;

import dev.semcache.embedding.ModelSpec;
import picocli.CommandLine.Command;

/** {@code semcache models}: the bundled models and what their descriptors say. */
@Command(name = "models", mixinStandardHelpOptions = true, description = "List the bundled embedding models.")
final class ModelsCommand implements Runnable {
  @Override
  public void run() {
    System.out.printf("%-22s %5s %-7s %10s  %s%n", "MODEL", "DIM", "POOLING", "MAX_TOKENS", "ARTIFACT");
    for (String name : ModelSpec.KNOWN) {
      ModelSpec s = ModelSpec.named(name);
      System.out.printf("%-22s %5d %-7s %10d  %s%s%n", s.name(), s.dimension(),
          s.pooling().name().toLowerCase(java.util.Locale.ROOT), s.maxTokens(), s.artifact(),
          name.equals(ModelSpec.DEFAULT) ? "  (default)" : "");
    }
  }
}
