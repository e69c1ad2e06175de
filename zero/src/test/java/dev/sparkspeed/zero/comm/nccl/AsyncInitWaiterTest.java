package dev.sparkspeed.zero.comm.nccl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.comm.CommException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AsyncInitWaiterTest {

  @Test
  void returnsOnceAnotherThreadCompletesTheOperation() throws Exception {
    AtomicReference<AsyncInitWaiter.Status> state =
        new AtomicReference<>(AsyncInitWaiter.Status.IN_PROGRESS);
    AtomicInteger aborts = new AtomicInteger();
    AtomicInteger polls = new AtomicInteger();
    Thread peer =
        new Thread(
            () -> {
              try {
                Thread.sleep(100);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              state.set(AsyncInitWaiter.Status.DONE);
            },
            "waiter-test-peer");
    peer.start();
    AsyncInitWaiter.systemClock(Duration.ofMillis(2))
        .await(
            "init",
            Duration.ofSeconds(20),
            "timeout",
            () -> {
              polls.incrementAndGet();
              return state.get();
            },
            aborts::incrementAndGet);
    peer.join();
    assertEquals(0, aborts.get());
    assertTrue(polls.get() > 1, "it polled while the peer was still working");
  }

  @Test
  void timesOutOnTheInjectedClockAbortsOnceAndNamesTheSetting() {
    AtomicLong now = new AtomicLong();
    AtomicInteger aborts = new AtomicInteger();
    AtomicInteger polls = new AtomicInteger();
    AsyncInitWaiter w = new AsyncInitWaiter(now::get, now::addAndGet, Duration.ofSeconds(1));
    CommException e =
        assertThrows(
            CommException.class,
            () ->
                w.await(
                    "NCCL init (rank 1 of 2)",
                    Duration.ofSeconds(30),
                    "sparkspeed.comm.timeout",
                    () -> {
                      polls.incrementAndGet();
                      return AsyncInitWaiter.Status.IN_PROGRESS;
                    },
                    aborts::incrementAndGet));
    assertEquals(1, aborts.get());
    assertEquals(31, polls.get(), "polled at 0, 1, ..., 30 s of the injected clock");
    assertTrue(
        e.getMessage().contains("30000 ms") && e.getMessage().contains("sparkspeed.comm.timeout"));
  }

  @Test
  void aPeerFailureAbortsAndCarriesTheLibrarysText() {
    AtomicInteger aborts = new AtomicInteger();
    AtomicInteger polls = new AtomicInteger();
    AsyncInitWaiter w = AsyncInitWaiter.systemClock(Duration.ofMillis(1));
    CommException e =
        assertThrows(
            CommException.class,
            () ->
                w.await(
                    "NCCL init",
                    Duration.ofSeconds(10),
                    "t",
                    () ->
                        polls.incrementAndGet() < 3
                            ? AsyncInitWaiter.Status.IN_PROGRESS
                            : AsyncInitWaiter.Status.failed("remote process exited"),
                    aborts::incrementAndGet));
    assertEquals(1, aborts.get());
    assertTrue(e.getMessage().contains("remote process exited"), e.getMessage());
  }

  @Test
  void aFailingAbortIsKeptAsSuppressedBehindTheOriginalError() {
    AsyncInitWaiter w = AsyncInitWaiter.systemClock(Duration.ofMillis(1));
    CommException e =
        assertThrows(
            CommException.class,
            () ->
                w.await(
                    "op",
                    Duration.ofSeconds(1),
                    "t",
                    () -> AsyncInitWaiter.Status.failed("peer gone"),
                    () -> {
                      throw new IllegalStateException("abort failed too");
                    }));
    assertTrue(e.getMessage().contains("peer gone"));
    assertEquals("abort failed too", e.getSuppressed()[0].getMessage());
  }

  @Test
  void interruptionAbortsAndKeepsTheInterruptFlag() throws Exception {
    AtomicInteger aborts = new AtomicInteger();
    AtomicReference<Throwable> seen = new AtomicReference<>();
    Thread waiter =
        new Thread(
            () -> {
              try {
                AsyncInitWaiter.systemClock(Duration.ofMillis(5))
                    .await(
                        "op",
                        Duration.ofMinutes(1),
                        "t",
                        () -> AsyncInitWaiter.Status.IN_PROGRESS,
                        aborts::incrementAndGet);
              } catch (CommException e) {
                seen.set(e);
                if (!Thread.currentThread().isInterrupted()) {
                  seen.set(new AssertionError("interrupt flag lost"));
                }
              }
            },
            "waiter-test-interrupted");
    waiter.start();
    Thread.sleep(50);
    waiter.interrupt();
    waiter.join(10_000);
    assertTrue(seen.get() instanceof CommException, String.valueOf(seen.get()));
    assertEquals(1, aborts.get());
  }
}
