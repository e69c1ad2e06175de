package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.comm.Communicator.Handle;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every collective against the plain references of {@link RingReference}, for rings of 1–4 threads,
 * sizes below N, not divisible by N and spanning several 4 KiB chunks, up to segments of more
 * chunks than the steps trail each other by, so the steps' chunks interleave on the wire.
 */
class TcpRingCommunicatorTest {
  private static final int[] SIZES = {0, 1, 3, 7, 1001, 5000, 40_003};

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4})
  void allReduceFp32MatchesReferences(int world) {
    try (RingTestKit kit = RingTestKit.start(world)) {
      for (int n : SIZES) {
        for (boolean integers : new boolean[] {true, false}) {
          float[][] x = new float[world][];
          for (int r = 0; r < world; r++) {
            x[r] = floats(n, 31L * n + 7 * r + (integers ? 1 : 0), integers);
          }
          List<float[]> got = kit.onAllRanks((rank, comm) -> allReduceF32(comm, x[rank]));
          float[] ring = RingReference.allReduce(x);
          for (int r = 0; r < world; r++) {
            assertArrayEquals(ring, got.get(r), 0f, "rank " + r + " n=" + n);
          }
          for (int i = 0; i < n; i++) {
            double exact = 0;
            double scale = 0;
            for (float[] xr : x) {
              exact += xr[i];
              scale += Math.abs(xr[i]);
            }
            if (integers) {
              assertEquals((float) exact, got.get(0)[i], 0f, "integer sums are exact, i=" + i);
            } else {
              assertEquals(exact, got.get(0)[i], 1e-6 * scale + 1e-30, "i=" + i);
            }
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4})
  void allReduceHalfSumsInFp32AndRoundsOnce(int world) {
    try (RingTestKit kit = RingTestKit.start(world)) {
      for (DType dt : new DType[] {DType.BF16, DType.FP16}) {
        for (int n : SIZES) {
          short[][] x = new short[world][];
          for (int r = 0; r < world; r++) {
            x[r] = halves(dt, n, 17L * n + r);
          }
          List<short[]> got = kit.onAllRanks((rank, comm) -> allReduceHalf(comm, dt, x[rank]));
          short[] expected = RingReference.allReduce(dt, x);
          for (int r = 0; r < world; r++) {
            assertArrayEquals(expected, got.get(r), dt + " rank " + r + " n=" + n);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4})
  void reduceScatterGivesEachRankItsSummedSlice(int world) {
    try (RingTestKit kit = RingTestKit.start(world)) {
      for (int m : new int[] {0, 1, 5, 1500, 9001}) {
        for (boolean inPlace : new boolean[] {false, true}) {
          float[][] in = new float[world][];
          short[][] inBf = new short[world][];
          for (int r = 0; r < world; r++) {
            in[r] = floats(world * m, 5L * m + r, false);
            inBf[r] = halves(DType.BF16, world * m, 3L * m + r);
          }
          List<float[]> got =
              kit.onAllRanks((rank, comm) -> reduceScatterF32(comm, in[rank], m, inPlace));
          List<short[]> gotBf =
              kit.onAllRanks((rank, comm) -> reduceScatterBf16(comm, inBf[rank], m, inPlace));
          for (int r = 0; r < world; r++) {
            assertArrayEquals(RingReference.reduceScatter(in, r, m), got.get(r), 0f, "m=" + m);
            assertArrayEquals(
                RingReference.reduceScatter(DType.BF16, inBf, r, m), gotBf.get(r), "bf16 m=" + m);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4})
  void allGatherConcatenatesInRankOrder(int world) {
    try (RingTestKit kit = RingTestKit.start(world)) {
      for (int m : new int[] {0, 1, 3, 2500, 9001}) {
        for (boolean inPlace : new boolean[] {false, true}) {
          float[][] in = new float[world][];
          for (int r = 0; r < world; r++) {
            in[r] = floats(m, 11L * m + r, false);
          }
          List<float[]> got = kit.onAllRanks((rank, comm) -> allGatherF32(comm, in[rank], inPlace));
          float[] expected = new float[world * m];
          for (int r = 0; r < world; r++) {
            System.arraycopy(in[r], 0, expected, r * m, m);
          }
          for (int r = 0; r < world; r++) {
            assertArrayEquals(expected, got.get(r), 0f, "rank " + r + " m=" + m);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4})
  void broadcastCopiesTheRootsBufferFromEveryRoot(int world) {
    try (RingTestKit kit = RingTestKit.start(world)) {
      for (int root = 0; root < world; root++) {
        for (int n : new int[] {0, 3, 3000}) {
          int[][] x = new int[world][n];
          for (int r = 0; r < world; r++) {
            x[r] = new Random(n + 100L * r).ints(n).toArray();
          }
          int rt = root;
          List<int[]> got = kit.onAllRanks((rank, comm) -> broadcastInt(comm, x[rank], rt));
          for (int r = 0; r < world; r++) {
            assertArrayEquals(x[root], got.get(r), "root " + root + " rank " + r + " n=" + n);
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4})
  void barrierReleasesNoRankBeforeAllArrived(int world) {
    try (RingTestKit kit = RingTestKit.start(world)) {
      List<long[]> times =
          kit.onAllRanks(
              (rank, comm) -> {
                Thread.sleep(40L * rank);
                long entered = System.nanoTime();
                comm.barrier();
                return new long[] {entered, System.nanoTime()};
              });
      long lastEntry = times.stream().mapToLong(t -> t[0]).max().orElseThrow();
      for (long[] t : times) {
        assertTrue(t[1] >= lastEntry, "a rank left the barrier before the last one entered");
      }
    }
  }

  @Test
  void asyncCallsRunInIssueOrder() {
    int world = 3;
    int n = 3000;
    try (RingTestKit kit = RingTestKit.start(world)) {
      List<float[]> got =
          kit.onAllRanks(
              (rank, comm) -> {
                try (Allocator a = new Allocator("order-" + rank)) {
                  HostBuffer buf = a.allocate("buf", DType.FP32, n);
                  HostBuffer all = a.allocate("all", DType.FP32, (long) world * n);
                  buf.floats().put(0, floats(n, rank, true));
                  Tensor t = Tensor.whole(buf);
                  List<Handle> handles = new ArrayList<>();
                  // Each call reads what the previous one wrote, so only issue order gives the
                  // expected result; nothing is awaited until the end.
                  handles.add(comm.allReduce(t));
                  handles.add(comm.broadcast(t, 2));
                  handles.add(comm.allReduce(t));
                  handles.add(comm.allGather(Tensor.whole(all), t));
                  handles.get(handles.size() - 1).await();
                  for (Handle h : handles) {
                    h.await();
                  }
                  float[] out = new float[world * n];
                  all.floats().get(0, out);
                  buf.close();
                  all.close();
                  return out;
                }
              });
      float[][] x = new float[world][];
      for (int r = 0; r < world; r++) {
        x[r] = floats(n, r, true);
      }
      float[] sum = RingReference.allReduce(x);
      for (int i = 0; i < n; i++) {
        for (int r = 0; r < world; r++) {
          assertEquals(world * sum[i], got.get(0)[r * n + i], 0f, "i=" + i);
        }
      }
      assertArrayEquals(got.get(0), got.get(1), 0f);
      assertArrayEquals(got.get(0), got.get(2), 0f);
    }
  }

  @Test
  void smallCollectivesNeverWaitForATimer() {
    // With a 60 s op timeout the engine's timers fire every 7.5 s; a lost wake-up between the
    // sending and the receiving thread would stall a collective that long.
    int world = 3;
    try (RingTestKit kit =
        RingTestKit.start(world, Duration.ofSeconds(20), Duration.ofSeconds(60), 4096)) {
      long start = System.nanoTime();
      kit.onAllRanks(
          (rank, comm) -> {
            try (Allocator a = new Allocator("small-" + rank)) {
              HostBuffer in = a.allocate("in", DType.FP32, world * 5L);
              HostBuffer out = a.allocate("out", DType.FP32, 5);
              for (int i = 0; i < 40; i++) {
                comm.reduceScatter(Tensor.whole(out), Tensor.whole(in)).await();
                comm.allReduce(Tensor.whole(in)).await();
              }
              in.close();
              out.close();
            }
            return null;
          });
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(ms < 5000, "80 tiny collectives took " + ms + " ms");
    }
  }

  @Test
  void aRingOfOneOpensNoSockets() {
    // 192.0.2.1 is reserved for documentation and no host owns it: binding it would fail, so
    // success shows no socket was opened.
    RingConfig cfg = RingConfig.of(0, 1, List.of("192.0.2.1:4000"), Secrets.newJobSecret());
    try (TcpRingCommunicator comm = TcpRingCommunicator.connect(cfg)) {
      assertArrayEquals(new float[] {3, 4}, allReduceF32(comm, new float[] {3, 4}), 0f);
      comm.barrier();
    }
  }

  @Test
  void singlePhaseConnectBindsTheListedAddresses() throws Exception {
    List<String> addresses = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      try (RingEndpoint probe = RingEndpoint.bind(RingTestKit.LOOPBACK)) {
        addresses.add(probe.address());
      }
    }
    byte[] secret = Secrets.newJobSecret();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<float[]>> ranks = new ArrayList<>();
      for (int r = 0; r < 2; r++) {
        int rank = r;
        ranks.add(
            pool.submit(
                () -> {
                  try (TcpRingCommunicator comm =
                      TcpRingCommunicator.connect(RingConfig.of(rank, 2, addresses, secret))) {
                    return allReduceF32(comm, new float[] {rank + 1f});
                  }
                }));
      }
      for (Future<float[]> f : ranks) {
        assertArrayEquals(new float[] {3f}, f.get(60, TimeUnit.SECONDS), 0f);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void invalidArgumentsNameTheProblem() {
    try (RingTestKit kit = RingTestKit.start(2);
        Allocator a = new Allocator("invalid")) {
      TcpRingCommunicator comm = kit.comms.get(0);
      HostBuffer ints = a.allocate("ints", DType.INT32, 4);
      HostBuffer f = a.allocate("f", DType.FP32, 5);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> comm.allReduce(Tensor.whole(ints)));
      assertTrue(e.getMessage().contains("INT32"), e.getMessage());
      e =
          assertThrows(
              IllegalArgumentException.class,
              () -> comm.reduceScatter(Tensor.of(f, 0, 2), Tensor.whole(f)));
      assertTrue(e.getMessage().contains("worldSize 2"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> comm.broadcast(Tensor.whole(f), 2));
      assertTrue(e.getMessage().contains("root 2"), e.getMessage());
      ints.close();
      f.close();
    }
  }

  static float[] floats(int n, long seed, boolean integers) {
    Random rnd = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] =
          integers
              ? rnd.nextInt(2001) - 1000
              : (float) (rnd.nextGaussian() * Math.exp(rnd.nextInt(9) - 4));
    }
    return v;
  }

  static short[] halves(DType dt, int n, long seed) {
    Random rnd = new Random(seed);
    short[] v = new short[n];
    for (int i = 0; i < n; i++) {
      v[i] = dt.fromFloat((float) (rnd.nextGaussian() * 8));
    }
    return v;
  }

  static float[] allReduceF32(Communicator comm, float[] x) {
    try (Allocator a = new Allocator("ar")) {
      HostBuffer b = a.allocate("buf", DType.FP32, x.length);
      b.floats().put(0, x);
      comm.allReduce(Tensor.whole(b)).await();
      float[] out = new float[x.length];
      b.floats().get(0, out);
      b.close();
      return out;
    }
  }

  static short[] allReduceHalf(Communicator comm, DType dt, short[] x) {
    try (Allocator a = new Allocator("ar16")) {
      HostBuffer b = a.allocate("buf", dt, x.length);
      b.shorts().put(0, x);
      comm.allReduce(Tensor.whole(b)).await();
      short[] out = new short[x.length];
      b.shorts().get(0, out);
      b.close();
      return out;
    }
  }

  private static float[] reduceScatterF32(Communicator comm, float[] x, int m, boolean inPlace) {
    try (Allocator a = new Allocator("rs")) {
      HostBuffer in = a.allocate("in", DType.FP32, x.length);
      HostBuffer own = a.allocate("out", DType.FP32, m);
      in.floats().put(0, x);
      Tensor out = inPlace ? Tensor.of(in, (long) comm.rank() * m, m) : Tensor.whole(own);
      comm.reduceScatter(out, Tensor.whole(in)).await();
      float[] result = new float[m];
      out.floats().get(0, result);
      if (!inPlace) {
        float[] after = new float[x.length];
        in.floats().get(0, after);
        assertArrayEquals(x, after, 0f, "reduceScatter must not modify its input");
      }
      in.close();
      own.close();
      return result;
    }
  }

  private static short[] reduceScatterBf16(Communicator comm, short[] x, int m, boolean inPlace) {
    try (Allocator a = new Allocator("rs16")) {
      HostBuffer in = a.allocate("in", DType.BF16, x.length);
      HostBuffer own = a.allocate("out", DType.BF16, m);
      in.shorts().put(0, x);
      Tensor out = inPlace ? Tensor.of(in, (long) comm.rank() * m, m) : Tensor.whole(own);
      comm.reduceScatter(out, Tensor.whole(in)).await();
      short[] result = new short[m];
      out.shorts().get(0, result);
      in.close();
      own.close();
      return result;
    }
  }

  private static float[] allGatherF32(Communicator comm, float[] x, boolean inPlace) {
    int m = x.length;
    int world = comm.worldSize();
    try (Allocator a = new Allocator("ag")) {
      HostBuffer all = a.allocate("out", DType.FP32, (long) world * m);
      HostBuffer own = a.allocate("in", DType.FP32, m);
      Tensor in = inPlace ? Tensor.of(all, (long) comm.rank() * m, m) : Tensor.whole(own);
      in.floats().put(0, x);
      comm.allGather(Tensor.whole(all), in).await();
      float[] out = new float[world * m];
      all.floats().get(0, out);
      all.close();
      own.close();
      return out;
    }
  }

  private static int[] broadcastInt(Communicator comm, int[] x, int root) {
    try (Allocator a = new Allocator("bc")) {
      HostBuffer b = a.allocate("buf", DType.INT32, x.length);
      b.ints().put(0, x);
      comm.broadcast(Tensor.whole(b), root).await();
      int[] out = new int[x.length];
      b.ints().get(0, out);
      b.close();
      return out;
    }
  }
}
