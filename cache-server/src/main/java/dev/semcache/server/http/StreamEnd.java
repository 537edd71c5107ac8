package dev.semcache.server.http;

import dev.semcache.server.proxy.ProxyReply;
import dev.semcache.server.proxy.ResponseSink;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Runs an action once when a streamed answer's body is over, whichever way: ended, cut off, or the
 * caller gone. The dispatcher counts a stream as in flight until then.
 */
final class StreamEnd {
  private StreamEnd() {}

  /** The same answer, whose body runs {@code onOver} exactly once when it is over. */
  static ApiResponse counted(ApiResponse r, Runnable onOver) {
    AtomicBoolean over = new AtomicBoolean();
    Runnable once = () -> {
      if (over.compareAndSet(false, true)) {
        onOver.run();
      }
    };
    ProxyReply.StreamBody body = r.stream();
    ProxyReply.StreamBody counted = sink -> {
      sink.onClose(once);
      body.start(new ResponseSink() {
        @Override
        public void write(byte[] chunk, Runnable whenWritable) {
          sink.write(chunk, whenWritable);
        }

        @Override
        public void end() {
          sink.end();
          once.run();
        }

        @Override
        public void abort() {
          sink.abort();
          once.run();
        }

        @Override
        public void onClose(Runnable onClose) {
          sink.onClose(onClose);
        }
      });
    };
    return new ApiResponse(r.status(), r.contentType(), r.body(), r.headers(), counted);
  }
}
