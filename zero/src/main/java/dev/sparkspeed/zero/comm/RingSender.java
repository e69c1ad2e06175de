package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.comm.RingPlan.Send;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Writes a plan's sends to the right neighbour on a thread of its own, so sending overlaps
 * receiving and reducing on another core. It takes orders from the communication thread, which owns
 * the plan, detects failures and decides when the plan is over; everything shared between the two
 * lives in one {@link Progress} per plan.
 */
final class RingSender implements AutoCloseable {
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  private static final Progress STOP = new Progress(null);

  private final SocketChannel out;
  private final Selector writable;
  private final Runnable wakeReceiver;
  private final BlockingQueue<Progress> plans = new LinkedBlockingQueue<>();
  private final Thread thread;

  /** What the sender and the communication thread share about one plan. */
  static final class Progress {
    final RingPlan plan;

    /** Sends fully handed to the socket. */
    volatile int sendsDone;

    /** Receives completed; set by the communication thread. */
    volatile int recvsDone;

    /** The receive count the sender is parked for. */
    volatile int waitingFor = Integer.MAX_VALUE;

    /**
     * The send count the communication thread waits for, set by {@link #wakeAt}: waking it after
     * every send would cost a system call and a context switch per chunk.
     */
    volatile int wakeAtSends = Integer.MAX_VALUE;

    /** True while the socket is full: the right neighbour is not reading. */
    volatile boolean blocked;

    volatile long lastProgress = System.nanoTime();
    volatile IOException failure;
    volatile boolean abort;
    volatile boolean finished;

    Progress(RingPlan plan) {
      this.plan = plan;
    }

    /**
     * Asks, from the communication thread, for a wake-up once {@code count} sends are done; true
     * when they already are. Each side writes its own volatile before reading the other's, so one
     * of them always sees the other and no wake-up is lost.
     */
    boolean wakeAt(int count) {
      wakeAtSends = count;
      return sendsDone >= count;
    }
  }

  /**
   * @param wakeReceiver wakes the communication thread's selector when it waits for the send just
   *     completed, and when the plan ends
   */
  RingSender(SocketChannel out, Runnable wakeReceiver, String threadName) throws IOException {
    this.out = out;
    this.wakeReceiver = wakeReceiver;
    this.writable = Selector.open();
    out.register(writable, SelectionKey.OP_WRITE);
    this.thread = new Thread(this::serve, threadName);
    thread.setDaemon(true);
    thread.start();
  }

  /** Starts sending {@code plan}; returns the progress the caller follows it by. */
  Progress start(RingPlan plan) {
    Progress p = new Progress(plan);
    plans.add(p);
    return p;
  }

  /** Publishes the completed receive count, waking the sender if it waits for it. */
  void recvsDone(Progress p, int count) {
    p.recvsDone = count;
    if (count >= p.waitingFor) {
      LockSupport.unpark(thread);
    }
  }

  /** Stops work on {@code p} and waits (bounded) until the sender no longer touches its buffers. */
  boolean abortAndWait(Progress p, long timeoutNanos) {
    p.abort = true;
    LockSupport.unpark(thread);
    writable.wakeup();
    long until = System.nanoTime() + timeoutNanos;
    while (!p.finished && System.nanoTime() < until) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
    }
    return p.finished;
  }

  private void serve() {
    try {
      while (true) {
        Progress p = plans.take();
        if (p == STOP) {
          return;
        }
        try {
          send(p);
        } catch (IOException e) {
          p.failure = e;
        } finally {
          p.finished = true;
          wakeReceiver.run();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void send(Progress p) throws IOException {
    List<Send> sends = p.plan.sends();
    for (int i = 0; i < sends.size(); i++) {
      Send s = sends.get(i);
      if (!awaitReceives(p, s.afterRecvs())) {
        return;
      }
      ByteBuffer src = s.src();
      while (src.hasRemaining()) {
        if (p.abort) {
          return;
        }
        if (out.write(src) > 0) {
          p.lastProgress = System.nanoTime();
        } else {
          p.blocked = true;
          writable.select(TimeUnit.NANOSECONDS.toMillis(POLL_NANOS));
          writable.selectedKeys().clear();
          p.blocked = false;
        }
      }
      p.sendsDone = i + 1;
      if (i + 1 >= p.wakeAtSends) {
        wakeReceiver.run();
      }
    }
  }

  /** Waits until {@code count} receives are complete; false when the plan was aborted. */
  private static boolean awaitReceives(Progress p, int count) {
    while (p.recvsDone < count) {
      if (p.abort) {
        return false;
      }
      p.waitingFor = count;
      if (p.recvsDone >= count) {
        break;
      }
      LockSupport.parkNanos(p, POLL_NANOS);
    }
    return !p.abort;
  }

  /** Stops the thread; the caller closes the socket. */
  @Override
  public void close() {
    plans.add(STOP);
    writable.wakeup();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      writable.close();
    } catch (IOException e) {
      // Only the selector's own descriptors are released here; nothing else depends on it.
    }
  }
}
