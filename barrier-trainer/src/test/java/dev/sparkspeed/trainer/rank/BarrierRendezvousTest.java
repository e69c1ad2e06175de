package dev.sparkspeed.trainer.rank;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.comm.nccl.NcclBootstrap;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The NCCL bootstrap's rendezvous over a barrier all-gather of strings. */
@Timeout(30)
class BarrierRendezvousTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private static BarrierRendezvous member(ThreadRanks ranks, int rank, int world, Duration wait) {
    return new BarrierRendezvous(m -> ranks.allGather(rank, m), rank, world, wait);
  }

  /** Rank r's message: every byte value, then r, so it is binary and differs per rank. */
  private static byte[] message(int rank) {
    byte[] b = new byte[257];
    for (int i = 0; i < 256; i++) {
      b[i] = (byte) i;
    }
    b[256] = (byte) rank;
    return b;
  }

  @Test
  void everyRankGetsEveryRanksBytesInRankOrder() throws Exception {
    ThreadRanks ranks = new ThreadRanks(3);
    List<Future<byte[][]>> out =
        ranks.run(r -> member(ranks, r, 3, WAIT).allGather(r == 1 ? new byte[0] : message(r)));
    for (Future<byte[][]> f : out) {
      byte[][] all = f.get();
      assertEquals(3, all.length);
      assertArrayEquals(message(0), all[0]);
      assertArrayEquals(new byte[0], all[1]);
      assertArrayEquals(message(2), all[2]);
    }
  }

  @Test
  void theNcclBootstrapRunsOverTheBarrier() throws Exception {
    ThreadRanks ranks = new ThreadRanks(2);
    AtomicInteger made = new AtomicInteger();
    List<Future<NcclBootstrap.Peers>> out =
        ranks.run(
            r ->
                NcclBootstrap.exchange(
                    member(ranks, r, 2, WAIT),
                    "GPU-" + r,
                    "host" + r,
                    () -> {
                      made.incrementAndGet();
                      return message(7);
                    }));
    for (Future<NcclBootstrap.Peers> f : out) {
      NcclBootstrap.Peers p = f.get();
      assertArrayEquals(message(7), p.uniqueId());
      assertArrayEquals(new String[] {"GPU-0", "GPU-1"}, p.gpuUuids());
      assertArrayEquals(new String[] {"host0", "host1"}, p.hosts());
    }
    assertEquals(1, made.get(), "only rank 0 creates the unique id");
  }

  @Test
  void twoRanksOnOneGpuFailOnBothNamingThem() {
    ThreadRanks ranks = new ThreadRanks(2);
    List<Future<NcclBootstrap.Peers>> out =
        ranks.run(
            r ->
                NcclBootstrap.exchange(
                    member(ranks, r, 2, WAIT), "GPU-same", "host", () -> message(7)));
    for (Future<NcclBootstrap.Peers> f : out) {
      ExecutionException e = assertThrows(ExecutionException.class, f::get);
      assertInstanceOf(CommException.class, e.getCause());
      String m = e.getCause().getMessage();
      assertTrue(m.contains("ranks 0 and 1 both hold GPU GPU-same"), m);
    }
  }

  @Test
  void aPeerThatNeverArrivesFailsWithinTheTimeout() {
    ThreadRanks ranks = new ThreadRanks(2);
    long t0 = System.nanoTime();
    CommException e =
        assertThrows(
            CommException.class,
            () -> member(ranks, 0, 2, Duration.ofMillis(300)).allGather(message(0)));
    double s = (System.nanoTime() - t0) / 1e9;
    assertTrue(s < 5, "took " + s + " s");
    assertTrue(
        e.getMessage().contains("the NCCL exchange of 2 ranks did not complete"), e.getMessage());
  }

  @Test
  void answersThatAreNotBase64OrNotOnePerRankAreRejected() {
    BarrierRendezvous garbled =
        new BarrierRendezvous(m -> new String[] {m, "not base64!"}, 0, 2, WAIT);
    CommException e = assertThrows(CommException.class, () -> garbled.allGather(message(0)));
    assertTrue(
        e.getMessage().contains("rank 1's NCCL exchange message is not Base64"), e.getMessage());
    BarrierRendezvous short1 = new BarrierRendezvous(m -> new String[] {m}, 0, 2, WAIT);
    CommException s = assertThrows(CommException.class, () -> short1.allGather(message(0)));
    assertTrue(s.getMessage().contains("returned 1 messages for world size 2"), s.getMessage());
  }
}
