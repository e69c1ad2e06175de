package dev.sparkspeed.zero.comm.nccl;

import dev.sparkspeed.zero.comm.CommException;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Polls a non-blocking operation (NCCL's {@code ncclCommInitRankConfig} with {@code blocking=0}, or
 * a queued collective) until it succeeds, fails, or a deadline passes. On failure or timeout it
 * runs the abort action (for NCCL, {@code ncclCommAbort}) before throwing, so no rank stays blocked
 * in the library waiting for a dead peer. The clock and the pause between polls are injected, so
 * the loop is tested without a GPU.
 */
public final class AsyncInitWaiter {

  /** What one poll saw. */
  public enum State {
    DONE,
    IN_PROGRESS,
    FAILED
  }

  /** One observation of the operation. */
  public record Status(State state, String detail) {
    public static final Status DONE = new Status(State.DONE, "");
    public static final Status IN_PROGRESS = new Status(State.IN_PROGRESS, "");

    /** A failure with the library's own description. */
    public static Status failed(String detail) {
      return new Status(State.FAILED, detail);
    }
  }

  /** Reads the operation's state; must not block. */
  @FunctionalInterface
  public interface Poller {
    Status poll();
  }

  /** Waits between polls. */
  @FunctionalInterface
  public interface Pause {
    void pause(long nanos) throws InterruptedException;
  }

  private final LongSupplier nanoClock;
  private final Pause pause;
  private final long pollNanos;

  /** A waiter on the system clock that sleeps {@code pollInterval} between polls. */
  public static AsyncInitWaiter systemClock(Duration pollInterval) {
    return new AsyncInitWaiter(
        System::nanoTime,
        nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)),
        pollInterval);
  }

  /**
   * @param nanoClock monotonic clock in nanoseconds
   * @param pause how to wait between polls
   * @param pollInterval time between polls
   */
  public AsyncInitWaiter(LongSupplier nanoClock, Pause pause, Duration pollInterval) {
    this.nanoClock = nanoClock;
    this.pause = pause;
    this.pollNanos = pollInterval.toNanos();
  }

  /**
   * Polls until done.
   *
   * @param what names the operation in errors, e.g. "NCCL init (rank 1 of 4)"
   * @param timeout how long to wait in total
   * @param timeoutSetting the setting a user raises when the timeout is too short
   * @param poller reads the state
   * @param abort run once before throwing; its own failure is added as suppressed
   * @throws CommException on failure, timeout or interruption
   */
  public void await(
      String what, Duration timeout, String timeoutSetting, Poller poller, Runnable abort) {
    long start = nanoClock.getAsLong();
    while (true) {
      Status s = poller.poll();
      switch (s.state()) {
        case DONE:
          return;
        case FAILED:
          throw aborted(abort, new CommException(what + " failed: " + s.detail()));
        default:
          break;
      }
      long waited = nanoClock.getAsLong() - start;
      if (waited >= timeout.toNanos()) {
        throw aborted(
            abort,
            new CommException(
                what
                    + " did not finish within "
                    + timeout.toMillis()
                    + " ms (a peer is missing or stalled); raise "
                    + timeoutSetting
                    + " if the job is only slow to start"));
      }
      try {
        pause.pause(pollNanos);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw aborted(abort, new CommException(what + " interrupted", e));
      }
    }
  }

  private static CommException aborted(Runnable abort, CommException failure) {
    try {
      abort.run();
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
    return failure;
  }
}
