package dev.sparkspeed.zero.comm.nccl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.comm.CommException;
import dev.sparkspeed.zero.comm.LocalRendezvous;
import dev.sparkspeed.zero.comm.Rendezvous;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NcclBootstrapTest {
  private final AtomicInteger threadId = new AtomicInteger();
  private final ExecutorService pool =
      Executors.newCachedThreadPool(
          r -> new Thread(r, "bootstrap-test-" + threadId.incrementAndGet()));

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
  }

  private List<Future<NcclBootstrap.Peers>> run(String[] uuids, AtomicInteger idsMade) {
    List<Rendezvous> group = LocalRendezvous.group(uuids.length, Duration.ofSeconds(10));
    List<Future<NcclBootstrap.Peers>> out = new ArrayList<>();
    for (Rendezvous r : group) {
      out.add(
          pool.submit(
              () ->
                  NcclBootstrap.exchange(
                      r,
                      uuids[r.rank()],
                      "host" + r.rank() / 2,
                      () -> {
                        idsMade.incrementAndGet();
                        byte[] id = new byte[128];
                        for (int i = 0; i < id.length; i++) {
                          id[i] = (byte) (i * 7 + 3);
                        }
                        return id;
                      })));
    }
    return out;
  }

  @Test
  void everyRankGetsRankZerosIdAndEveryonesGpu() throws Exception {
    String[] uuids = {"GPU-a", "GPU-b", "GPU-c", "GPU-d"};
    AtomicInteger made = new AtomicInteger();
    byte[] expectedId = null;
    for (Future<NcclBootstrap.Peers> f : run(uuids, made)) {
      NcclBootstrap.Peers p = f.get();
      assertArrayEquals(uuids, p.gpuUuids());
      assertEquals("host1", p.hosts()[3]);
      if (expectedId == null) {
        expectedId = p.uniqueId();
      }
      assertArrayEquals(expectedId, p.uniqueId());
    }
    assertEquals(128, expectedId.length);
    assertEquals(3, expectedId[0]);
    assertEquals(1, made.get(), "only rank 0 creates the unique id");
  }

  @Test
  void twoRanksOnOneGpuFailOnEveryRankNamingBothAndTheUuid() throws Exception {
    String[] uuids = {"GPU-a", "GPU-b", "GPU-c", "GPU-b"};
    for (Future<NcclBootstrap.Peers> f : run(uuids, new AtomicInteger())) {
      ExecutionException e = assertThrows(ExecutionException.class, f::get);
      assertTrue(e.getCause() instanceof CommException);
      String m = e.getCause().getMessage();
      assertTrue(m.contains("ranks 1 and 3") && m.contains("GPU-b"), m);
    }
  }

  @Test
  void aMessageFromAnotherWorldSizeIsRejected() {
    byte[] foreign = NcclBootstrap.encode(0, 8, "GPU-x", "h", new byte[128]);
    Rendezvous fake =
        new Rendezvous() {
          @Override
          public int rank() {
            return 1;
          }

          @Override
          public int worldSize() {
            return 2;
          }

          @Override
          public byte[][] allGather(byte[] mine) {
            return new byte[][] {foreign, mine};
          }
        };
    CommException e =
        assertThrows(
            CommException.class,
            () -> NcclBootstrap.exchange(fake, "GPU-y", "h", () -> new byte[0]));
    assertTrue(e.getMessage().contains("rank 0 of 8"), e.getMessage());
  }
}
