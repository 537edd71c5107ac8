package dev.semcache.index;

/** The entry store or the index failed at the storage level (I/O, RocksDB, Lucene). */
public final class StoreException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public StoreException(String message, Throwable cause) {
    super(message, cause);
  }

  public StoreException(String message) {
    super(message);
  }
}
