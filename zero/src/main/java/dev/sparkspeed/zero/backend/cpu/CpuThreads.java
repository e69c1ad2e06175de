package dev.sparkspeed.zero.backend.cpu;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * A small pool of named daemon threads that splits an index range into contiguous pieces, one per
 * thread, the calling thread taking the first. Kernels hand it loops over rows or elements; a range
 * too small to be worth a hand-off runs inline. Closing stops the threads.
 *
 * <p>A training step runs hundreds of short loops back to back (layer norms, activations,
 * residuals, optimizer groups), many of them under 100 µs. Waking a parked thread costs tens of
 * microseconds on a virtual machine, as much as the loop itself, so a worker that has just finished
 * a piece, and a caller waiting for one, first spin for {@link #SPIN_NANOS} (yielding the core to
 * any other runnable thread, such as OpenBLAS's) before they park.
 *
 * <p>One thread drives the pool at a time, as one thread drives a backend. A loop started from
 * inside a piece, or while another thread is driving, runs inline.
 */
final class CpuThreads implements AutoCloseable {
  /** The body of a parallel loop: handles indexes [from, to). */
  @FunctionalInterface
  interface Range {
    void run(int from, int to);
  }

  /** How long an idle worker or a waiting caller spins before it parks. */
  static final long SPIN_NANOS = 50_000;

  private final int threads;
  private final Worker[] workers;
  private final AtomicBoolean driving = new AtomicBoolean();
  private volatile boolean closed;

  /**
   * @param name thread name prefix, shown in thread dumps
   * @param threads threads that share a loop, the caller included; at least 1
   */
  CpuThreads(String name, int threads) {
    if (threads < 1) {
      throw new IllegalArgumentException("cpu threads " + threads + " must be at least 1");
    }
    this.threads = threads;
    this.workers = new Worker[threads - 1];
    for (int i = 0; i < workers.length; i++) {
      workers[i] = new Worker(name + "-" + i);
    }
  }

  /** Threads that share one loop, the caller included. */
  int threads() {
    return threads;
  }

  /**
   * Runs body over [0, n) split into at most {@link #threads()} contiguous pieces of at least
   * {@code grain} indexes each, and returns when all are done. An exception in any piece is
   * rethrown here, the caller's own piece first, then the workers' in order.
   */
  void forRange(int n, int grain, Range body) {
    int pieces = (int) Math.min(threads, Math.max(1, ((long) n + grain - 1) / Math.max(1, grain)));
    if (pieces <= 1 || closed || !driving.compareAndSet(false, true)) {
      body.run(0, n);
      return;
    }
    try {
      Thread caller = Thread.currentThread();
      for (int p = 1; p < pieces; p++) {
        workers[p - 1].post(body, bound(n, pieces, p), bound(n, pieces, p + 1), caller);
      }
      Throwable failure = null;
      try {
        body.run(0, bound(n, pieces, 1));
      } catch (RuntimeException | Error e) {
        failure = e;
      }
      for (int p = 1; p < pieces; p++) {
        Throwable t = workers[p - 1].awaitDone();
        if (failure == null) {
          failure = t;
        }
      }
      if (failure != null) {
        throw asUnchecked(failure);
      }
    } finally {
      driving.set(false);
    }
  }

  private static int bound(int n, int pieces, int p) {
    return (int) ((long) n * p / pieces);
  }

  private static RuntimeException asUnchecked(Throwable t) {
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
    closed = true;
    for (Worker w : workers) {
      w.stop();
    }
  }

  /**
   * One pool thread. The caller writes a piece into the plain fields and publishes it by raising
   * {@code posted} (a volatile write); the worker publishes completion by raising {@code done}.
   * Each side sets its {@code parked} flag before parking and re-checks the counter after, and the
   * other side unparks it when the flag is up, so no wake-up is lost.
   */
  private final class Worker implements Runnable {
    private final Thread thread;
    private Range body;
    private int from;
    private int to;
    private Thread caller;
    private Throwable failure;
    private volatile int posted;
    private volatile int done;
    private volatile boolean workerParked;
    private volatile boolean callerParked;

    Worker(String name) {
      thread = new Thread(this, name);
      thread.setDaemon(true);
      thread.start();
    }

    void post(Range body, int from, int to, Thread caller) {
      this.body = body;
      this.from = from;
      this.to = to;
      this.caller = caller;
      this.failure = null;
      posted = posted + 1;
      if (workerParked) {
        LockSupport.unpark(thread);
      }
    }

    /** Waits for the posted piece; returns what it threw, or null. */
    Throwable awaitDone() {
      int target = posted;
      long spinUntil = System.nanoTime() + SPIN_NANOS;
      while (done != target) {
        if (System.nanoTime() < spinUntil) {
          Thread.yield();
          continue;
        }
        callerParked = true;
        if (done != target) {
          LockSupport.park(this);
        }
        callerParked = false;
      }
      Throwable t = failure;
      body = null;
      return t;
    }

    void stop() {
      LockSupport.unpark(thread);
    }

    @Override
    public void run() {
      int seen = 0;
      while (true) {
        long spinUntil = System.nanoTime() + SPIN_NANOS;
        while (posted == seen && !closed) {
          if (System.nanoTime() < spinUntil) {
            Thread.yield();
            continue;
          }
          workerParked = true;
          if (posted == seen && !closed) {
            LockSupport.park(this);
          }
          workerParked = false;
        }
        if (posted == seen) {
          return;
        }
        seen = posted;
        try {
          body.run(from, to);
        } catch (Throwable t) {
          failure = t;
        }
        Thread waiting = caller;
        done = seen;
        if (callerParked) {
          LockSupport.unpark(waiting);
        }
      }
    }
  }
}
