package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Closing right after the last collective: a collective that every rank completed never fails
 * because a neighbour closed the moment it was done, while a rank that leaves before a collective
 * still fails the others, naming it.
 */
class RingCloseTest {
  private static final Duration OP_TIMEOUT = Duration.ofSeconds(2);
  private static final long SLACK_MS = 1500;
  private static final int ITERATIONS = 200;

  @Test
  void closingTheMomentTheLastCollectiveIsDoneNeverFailsAPeer() {
    Random seeds = new Random(42);
    for (int it = 0; it < ITERATIONS; it++) {
      int world = 2 + it % 6;
      int collectives = 1 + it % 3;
      long seed = seeds.nextLong();
      try (RingTestKit kit = RingTestKit.start(world, Duration.ofSeconds(20), OP_TIMEOUT, 4096)) {
        List<Throwable> failures =
            kit.failuresOf(
                (rank, comm) -> {
                  Random rnd = new Random(seed + rank);
                  for (int c = 0; c < collectives; c++) {
                    sleepMicros(rnd.nextInt(3000));
                    // Several chunks, so the last sends and receives overlap the neighbours'.
                    float[] got = allGather(comm, rank, 3000 + c);
                    assertArrayEquals(expected(world, 3000 + c), got, 0f, "rank " + rank);
                  }
                  sleepMicros(rnd.nextInt(2) == 0 ? 0 : rnd.nextInt(500));
                  comm.close();
                  return null;
                });
        for (int r = 0; r < world; r++) {
          assertNull(failures.get(r), "iteration " + it + ", world " + world + ", rank " + r);
        }
      }
    }
  }

  @Test
  void aRankThatLeftBeforeACollectiveFailsEveryOtherRankNamingIt() {
    int world = 4;
    int leaver = 1;
    try (RingTestKit kit = RingTestKit.start(world, Duration.ofSeconds(20), OP_TIMEOUT, 4096)) {
      String named = "rank " + leaver + " (" + kit.addresses.get(leaver) + ")";
      List<Throwable> failures =
          kit.failuresOf(
              (rank, comm) -> {
                allGather(comm, rank, 3000);
                if (rank == leaver) {
                  comm.close();
                  return null;
                }
                long start = System.nanoTime();
                try {
                  allGather(comm, rank, 3000);
                } catch (CommException e) {
                  long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                  assertTrue(ms <= OP_TIMEOUT.toMillis() + SLACK_MS, "rank " + rank + ": " + ms);
                  throw e;
                }
                return null;
              });
      for (int r = 0; r < world; r++) {
        if (r == leaver) {
          assertNull(failures.get(r));
          continue;
        }
        CommException e = assertInstanceOf(CommException.class, failures.get(r), "rank " + r);
        assertTrue(e.getMessage().contains(named), "rank " + r + ": " + e.getMessage());
      }
    }
  }

  /**
   * All-gathers {@code m} floats per rank, rank r contributing r·m, r·m+1, …; returns the whole.
   */
  private static float[] allGather(Communicator comm, int rank, int m) {
    int world = comm.worldSize();
    try (Allocator a = new Allocator("close-ag" + rank)) {
      HostBuffer all = a.allocate("out", DType.FP32, (long) world * m);
      try {
        Tensor in = Tensor.of(all, (long) rank * m, m);
        for (int i = 0; i < m; i++) {
          in.floats().put(i, rank * m + i);
        }
        comm.allGather(Tensor.whole(all), in).await();
        float[] out = new float[world * m];
        all.floats().get(0, out);
        return out;
      } finally {
        all.close();
      }
    }
  }

  private static float[] expected(int world, int m) {
    float[] e = new float[world * m];
    for (int i = 0; i < e.length; i++) {
      e[i] = i;
    }
    return e;
  }

  private static void sleepMicros(int micros) throws InterruptedException {
    if (micros > 0) {
      TimeUnit.MICROSECONDS.sleep(micros);
    }
  }
}
