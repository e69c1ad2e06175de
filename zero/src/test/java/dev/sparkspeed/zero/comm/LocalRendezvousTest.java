package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class LocalRendezvousTest {
  private final AtomicInteger threadId = new AtomicInteger();
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> new Thread(r, "rendezvous-test-" + threadId.incrementAndGet()));

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(10, java.util.concurrent.TimeUnit.SECONDS));
  }

  @Test
  void everyRankSeesEveryMessageInRankOrderOverRepeatedRounds() throws Exception {
    int world = 4;
    List<Rendezvous> group = LocalRendezvous.group(world, Duration.ofSeconds(10));
    List<Future<List<byte[][]>>> results = new ArrayList<>();
    for (Rendezvous r : group) {
      results.add(
          pool.submit(
              () -> {
                List<byte[][]> rounds = new ArrayList<>();
                for (int round = 0; round < 3; round++) {
                  rounds.add(r.allGather(new byte[] {(byte) r.rank(), (byte) round}));
                }
                return rounds;
              }));
    }
    for (Future<List<byte[][]>> f : results) {
      List<byte[][]> rounds = f.get();
      for (int round = 0; round < 3; round++) {
        byte[][] all = rounds.get(round);
        assertEquals(world, all.length);
        for (int r = 0; r < world; r++) {
          assertArrayEquals(new byte[] {(byte) r, (byte) round}, all[r]);
        }
      }
    }
  }

  @Test
  void aMissingRankFailsTheOthersNamingIt() throws Exception {
    List<Rendezvous> group = LocalRendezvous.group(3, Duration.ofMillis(300));
    Future<byte[][]> r0 = pool.submit(() -> group.get(0).allGather(new byte[] {0}));
    Future<byte[][]> r1 = pool.submit(() -> group.get(1).allGather(new byte[] {1}));
    for (Future<byte[][]> f : List.of(r0, r1)) {
      ExecutionException e = assertThrows(ExecutionException.class, f::get);
      assertTrue(e.getCause() instanceof CommException, e.getCause().toString());
      assertTrue(e.getCause().getMessage().contains("[2]"), e.getCause().getMessage());
    }
  }
}
