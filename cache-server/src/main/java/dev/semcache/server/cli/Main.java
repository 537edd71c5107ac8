package dev.semcache.server.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./semcache}: parses the command line and runs one subcommand. */
@Command(
    name = "semcache",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = "A semantic cache server for LLM traffic.",
    subcommands = {ServeCommand.class, MigrateCommand.class, CompactIndexCommand.class, KeygenCommand.class, EmbedCommand.class, ModelsCommand.class, CalibrateCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args));
  }

  public static int run(String... args) {
    return new CommandLine(new Main()).execute(args);
  }

  @Override
  public void run() {
    new CommandLine(this).usage(System.out);
  }
}
