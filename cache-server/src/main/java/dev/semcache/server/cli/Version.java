package dev.semcache.server.cli;

import picocli.CommandLine.IVersionProvider;

/** The version from the jar manifest (unknown when run from classes). */
final class Version implements IVersionProvider {
  @Override
  public String[] getVersion() {
    String v = Main.class.getPackage().getImplementationVersion();
    return new String[] {"semcache " + (v == null ? "(development build)" : v)
        + " on Java " + Runtime.version()};
  }
}
