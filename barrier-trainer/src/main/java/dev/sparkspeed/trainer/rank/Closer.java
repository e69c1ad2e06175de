package dev.sparkspeed.trainer.rank;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Closes what a rank opened, newest first. Used in try-with-resources, so an exception from the
 * body stays the primary one and closing failures are attached to it as suppressed; when the body
 * succeeded, the first closing failure is thrown with the rest suppressed. Every resource is closed
 * whatever the others do.
 */
public final class Closer implements AutoCloseable {
  private final Deque<AutoCloseable> open = new ArrayDeque<>();

  /** Registers {@code c} and returns it. */
  public <T extends AutoCloseable> T add(T c) {
    open.push(c);
    return c;
  }

  @Override
  public void close() {
    RuntimeException first = null;
    while (!open.isEmpty()) {
      try {
        open.pop().close();
      } catch (Exception e) {
        RuntimeException r =
            e instanceof RuntimeException re ? re : new IllegalStateException(e.toString(), e);
        if (first == null) {
          first = r;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
