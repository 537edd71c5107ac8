package dev.semcache.embedding;

/** A model file is missing, unreadable, or not the file its descriptor names (checksum mismatch). */
public final class ModelFileException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ModelFileException(String message) {
    super(message);
  }

  public ModelFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
