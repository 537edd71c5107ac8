package dev.semcache.bench.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The indexes compared: exact search (the reference), Lucene HNSW (semcache's) and jvector (the peer). */
public enum PeerKind {
  EXACT,
  LUCENE,
  JVECTOR;

  public static PeerKind parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("index must be exact, lucene or jvector; index=" + name, e);
    }
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * The index over {@code vectors}. Lucene's lives in {@code workDir/lucene-SIZE-...}; jvector's graph is
   * saved to {@code workDir/jvector-SIZE-....graph}; both are reopened when there, unless {@code rebuild}.
   */
  public KnnIndex open(List<float[]> vectors, Path workDir, GraphParams params, boolean rebuild) throws IOException {
    return switch (this) {
      case EXACT -> new ExactKnn(vectors);
      case JVECTOR -> {
        Path file = workDir.resolve("jvector-" + vectors.size() + "-m" + params.m() + "-b" + params.beamWidth() + ".graph");
        if (!rebuild && Files.isRegularFile(file)) {
          yield JVectorKnn.load(file, vectors, params);
        }
        Files.createDirectories(workDir);
        JVectorKnn index = JVectorKnn.build(vectors, params);
        index.save(file);
        yield index;
      }
      case LUCENE -> {
        Path dir = workDir.resolve("lucene-" + vectors.size() + "-m" + params.m() + "-b" + params.beamWidth());
        if (!rebuild && hasCommit(dir)) {
          yield LuceneHnswKnn.open(dir, params);
        }
        if (Files.isDirectory(dir)) {
          try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
              Files.delete(f);
            }
          }
        }
        Files.createDirectories(dir);
        yield LuceneHnswKnn.build(dir, vectors, params);
      }
    };
  }

  private static boolean hasCommit(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (var files = Files.list(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().startsWith("segments_"));
    }
  }
}
