package dev.sparkspeed.zero.backend.cpu;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small pool of named daemon threads that splits an index range into contiguous pieces, one per
 * thread, the calling thread taking the first. Kernels hand it loops over rows or elements; a range
 * too small to be worth a hand-off runs inline. Closing stops the threads.
 */
final class CpuThreads implements AutoCloseable {
  /** The body of a parallel loop: handles indexes [from, to). */
  @FunctionalInterface
  interface Range {
    void run(int from, int to);
  }

  private final int threads;
  private final ExecutorService workers;

  /**
   * @param name thread name prefix, shown in thread dumps
   * @param threads threads that share a loop, the caller included; at least 1
   */
  CpuThreads(String name, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("cpu threads " + threads + " must be at least 1");
    }
    this.threads = threads;
    AtomicInteger next = new AtomicInteger();
    this.workers =
        threads == 1
            ? null
            : Executors.newFixedThreadPool(
                threads - 1,
                r -> {
                  Thread t = new Thread(r, name + "-" + next.getAndIncrement());
                  t.setDaemon(true);
                  return t;
                });
  }

  /** Threads that share one loop, the caller included. */
  int threads() {
    return threads;
  }

  /**
   * Runs body over [0, n) split into at most {@link #threads()} contiguous pieces of at least
   * {@code grain} indexes each, and returns when all are done. An exception in any piece is
   * rethrown here.
   */
  void forRange(int n, int grain, Range body) {
    int pieces = (int) Math.min(threads, Math.max(1, ((long) n + grain - 1) / Math.max(1, grain)));
    if (pieces <= 1) {
      body.run(0, n);
      return;
    }
    List<Future<?>> pending = new ArrayList<>(pieces - 1);
    for (int p = 1; p < pieces; p++) {
      int from = bound(n, pieces, p);
      int to = bound(n, pieces, p + 1);
      pending.add(workers.submit(() -> body.run(from, to)));
    }
    RuntimeException failure = null;
    try {
      body.run(0, bound(n, pieces, 1));
    } catch (RuntimeException e) {
      failure = e;
    }
    for (Future<?> f : pending) {
      try {
        f.get();
      } catch (ExecutionException e) {
        if (failure == null) {
          failure = asRuntime(e.getCause());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (failure == null) {
          failure = new IllegalStateException("interrupted while waiting for cpu kernel", e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static int bound(int n, int pieces, int p) {
    return (int) ((long) n * p / pieces);
  }

  private static RuntimeException asRuntime(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t);
  }

  @Override
  public void close() {
    if (workers != null) {
      workers.shutdownNow();
    }
  }
}
