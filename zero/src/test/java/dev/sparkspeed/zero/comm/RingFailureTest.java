package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** A dead, closed or stalled peer makes every other rank fail in time, naming that peer. */
class RingFailureTest {
  private static final Duration OP_TIMEOUT = Duration.ofSeconds(2);
  // Thread start-up and a loaded machine; the bound under test is the op timeout itself.
  private static final long SLACK_MS = 1500;

  @Test
  void closedPeerFailsEveryOtherRankNamingIt() {
    int world = 4;
    int victim = 2;
    try (RingTestKit kit = RingTestKit.start(world, Duration.ofSeconds(20), OP_TIMEOUT, 64 << 10)) {
      String named = "rank " + victim + " (" + kit.addresses.get(victim) + ")";
      List<Throwable> failures =
          kit.failuresOf(
              (rank, comm) -> {
                if (rank == victim) {
                  loopAllReduce(comm, 3);
                  comm.close();
                  return null;
                }
                return loopAllReduce(comm, Integer.MAX_VALUE);
              });
      for (int r = 0; r < world; r++) {
        if (r == victim) {
          assertNull(failures.get(r));
          continue;
        }
        TimedFailure f = assertInstanceOf(TimedFailure.class, failures.get(r), "rank " + r);
        assertTrue(f.getMessage().contains(named), "rank " + r + ": " + f.getMessage());
        assertTrue(f.millis <= OP_TIMEOUT.toMillis() + SLACK_MS, "rank " + r + " took " + f.millis);
      }
    }
  }

  @Test
  void stalledPeerIsNamedByEveryRankWithinTheTimeout() {
    int world = 4;
    int staller = 2;
    try (RingTestKit kit = RingTestKit.start(world, Duration.ofSeconds(20), OP_TIMEOUT, 64 << 10)) {
      String named = "rank " + staller + " (" + kit.addresses.get(staller) + ")";
      List<Throwable> failures =
          kit.failuresOf(
              (rank, comm) -> {
                if (rank == staller) {
                  loopAllReduce(comm, 2);
                  // Alive, connected, but never issues the next collective.
                  Thread.sleep(OP_TIMEOUT.toMillis() + SLACK_MS + 500);
                  return null;
                }
                return loopAllReduce(comm, Integer.MAX_VALUE);
              });
      for (int r = 0; r < world; r++) {
        if (r == staller) {
          continue;
        }
        TimedFailure f = assertInstanceOf(TimedFailure.class, failures.get(r), "rank " + r);
        assertTrue(f.getMessage().contains(named), "rank " + r + ": " + f.getMessage());
        assertTrue(f.millis <= OP_TIMEOUT.toMillis() + SLACK_MS, "rank " + r + " took " + f.millis);
      }
    }
  }

  @Test
  void mismatchedCollectivesFailOnBothRanks() {
    try (RingTestKit kit = RingTestKit.start(2, Duration.ofSeconds(20), OP_TIMEOUT, 4096)) {
      List<Throwable> failures =
          kit.failuresOf(
              (rank, comm) -> {
                float[] x = new float[10 + rank];
                return TcpRingCommunicatorTest.allReduceF32(comm, x);
              });
      for (Throwable t : failures) {
        assertInstanceOf(CommException.class, t);
        assertTrue(t.getMessage().contains("same collectives in the same order"), t.getMessage());
        assertTrue(t.getMessage().contains("allReduce #0 (10 × FP32)"), t.getMessage());
      }
    }
  }

  @Test
  void differentChunkSizesFailOnBothRanksNamingTheSetting() {
    try (RingTestKit kit =
        RingTestKit.start(2, Duration.ofSeconds(20), OP_TIMEOUT, rank -> 4096 << rank)) {
      List<Throwable> failures =
          kit.failuresOf((rank, comm) -> TcpRingCommunicatorTest.allReduceF32(comm, new float[10]));
      for (Throwable t : failures) {
        assertInstanceOf(CommException.class, t);
        assertTrue(t.getMessage().contains("RingConfig.chunkBytes"), t.getMessage());
        assertTrue(t.getMessage().contains("chunks of 8192"), t.getMessage());
      }
    }
  }

  @Test
  void afterAFailureEveryCallFailsFastAndCloseIsQuiet() {
    try (RingTestKit kit = RingTestKit.start(3, Duration.ofSeconds(20), OP_TIMEOUT, 4096)) {
      kit.comms.get(1).close();
      TcpRingCommunicator comm = kit.comms.get(0);
      CommException first =
          assertThrows(
              CommException.class,
              () -> TcpRingCommunicatorTest.allReduceF32(comm, new float[100]));
      long start = System.nanoTime();
      CommException again = assertThrows(CommException.class, comm::barrier);
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 1000);
      assertEquals(first.getMessage(), again.getMessage());
      assertThrows(IllegalStateException.class, () -> kit.comms.get(1).barrier());
      for (TcpRingCommunicator c : kit.comms) {
        c.close();
      }
    }
  }

  @Test
  void aMissingRankFailsSetupWithinTheConnectTimeoutNamingIt() {
    RingEndpoint e0 = RingEndpoint.bind(RingTestKit.LOOPBACK);
    RingEndpoint e1 = RingEndpoint.bind(RingTestKit.LOOPBACK);
    List<String> addresses = List.of(e0.address(), e1.address());
    Duration connect = Duration.ofMillis(800);
    long start = System.nanoTime();
    // Rank 1 bound its port but never joins: rank 0 can connect to it, yet nobody answers.
    CommException e =
        assertThrows(
            CommException.class,
            () ->
                TcpRingCommunicator.connect(
                    e0,
                    new RingConfig(
                        0, 2, addresses, Secrets.newJobSecret(), connect, OP_TIMEOUT, 4096)));
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    e1.close();
    assertTrue(e.getMessage().contains("rank 1 (" + e1.address() + ")"), e.getMessage());
    assertTrue(e.getMessage().contains("connectTimeout"), e.getMessage());
    assertTrue(ms <= connect.toMillis() + SLACK_MS, "setup gave up after " + ms + " ms");
  }

  @Test
  void closeStopsEveryThreadItStarted() throws InterruptedException {
    Set<Thread> before = ringThreads();
    try (RingTestKit kit = RingTestKit.start(3)) {
      kit.onAllRanks((rank, comm) -> TcpRingCommunicatorTest.allReduceF32(comm, new float[10]));
      assertTrue(ringThreads().size() > before.size(), "the ring runs named threads");
    }
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    Set<Thread> left = ringThreads();
    while (!before.containsAll(left) && System.nanoTime() < until) {
      Thread.sleep(20);
      left = ringThreads();
    }
    left.removeAll(before);
    assertTrue(left.isEmpty(), "still running after close: " + left);
  }

  private static Set<Thread> ringThreads() {
    Set<Thread> threads = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("sparkspeed-ring") && t.isAlive()) {
        threads.add(t);
      }
    }
    return threads;
  }

  /** Runs allReduce repeatedly; returns normally after {@code iterations}, or the timed failure. */
  private static TimedFailure loopAllReduce(Communicator comm, int iterations) {
    try (Allocator a = new Allocator("loop-" + comm.rank())) {
      HostBuffer b = a.allocate("buf", DType.FP32, 100_000);
      try {
        for (int i = 0; i < iterations; i++) {
          long start = System.nanoTime();
          try {
            comm.allReduce(Tensor.whole(b)).await();
          } catch (CommException e) {
            throw new TimedFailure(e, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
          }
        }
        return null;
      } finally {
        b.close();
      }
    }
  }

  /** A collective's failure with how long the failing call took. */
  private static final class TimedFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final long millis;

    TimedFailure(CommException cause, long millis) {
      super(cause.getMessage(), cause);
      this.millis = millis;
    }
  }
}
