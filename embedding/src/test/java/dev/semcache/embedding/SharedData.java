package dev.semcache.embedding;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates ../shared/data beside the repository (the build passes its path as a system property). */
final class SharedData {
  private SharedData() {}

  static Path file(String relative) {
    String dir = System.getProperty("semcache.shared.dir", "../../shared");
    Path p = Path.of(dir, "data", relative).normalize();
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("shared dataset " + p.toAbsolutePath()
          + " not found; the repository expects ../shared beside it");
    }
    return p;
  }
}
