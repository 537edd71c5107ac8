package dev.semcache.server.proxy;

/**
 * Where a streamed answer goes: the caller's connection. Methods may be called from any thread; the
 * transport runs them on its own. Backpressure: {@link #write} calls {@code whenWritable} once the
 * connection can take more, so a reader that does not keep up slows the upstream down instead of being
 * buffered for.
 */
public interface ResponseSink {
  /** Sends one chunk of the body; {@code whenWritable} runs (once, on any thread) when more may be sent. */
  void write(byte[] chunk, Runnable whenWritable);

  /** Ends the body normally; the connection may serve the next request. */
  void end();

  /** Cuts the answer off: the connection closes without ending the body, so the caller sees it was interrupted. */
  void abort();

  /** Runs {@code onClose} if the caller goes away before {@link #end} (at once if it already has). */
  void onClose(Runnable onClose);
}
