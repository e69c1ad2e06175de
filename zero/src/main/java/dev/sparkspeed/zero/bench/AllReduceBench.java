package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.RingConfig;
import dev.sparkspeed.zero.comm.RingEndpoint;
import dev.sparkspeed.zero.comm.Secrets;
import dev.sparkspeed.zero.comm.TcpRingCommunicator;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.net.InetAddress;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * All-reduce throughput of {@link TcpRingCommunicator} on loopback, ranks as threads of this JVM or
 * (with {@code --processes}) as separate JVMs. Prints each iteration (the slowest rank's time) and
 * ends with {@code RESULT busbw_gbps=X algbw_gbps=Y}: nccl-tests' definitions, algbw = bytes / time
 * and busbw = algbw · 2(N−1)/N, from the median time, in GB/s (1e9 bytes per second).
 *
 * <p>With {@code --anchor} it first times one loopback TCP stream of the same size ({@link
 * TcpStreamBench}) and prints busbw as a fraction of it, the figure to compare across machines.
 *
 * <p>Usage: {@code AllReduceBench [--ranks 2] [--mb 256] [--iters 5] [--warmup 1] [--dtype fp32]
 * [--chunk-kb 1024] [--processes] [--anchor]}
 */
public final class AllReduceBench {
  static final String USAGE =
      "usage: AllReduceBench [--ranks 2] [--mb 256] [--iters 5] [--warmup 1] [--dtype fp32|bf16|fp16]"
          + " [--chunk-kb 1024] [--processes] [--anchor]";
  static final Set<String> OPTIONS =
      Set.of("ranks", "mb", "iters", "warmup", "dtype", "chunk-kb", "processes", "anchor", "child");

  private AllReduceBench() {}

  /** What one run measures. */
  record Setup(int ranks, long bytes, DType dtype, int warmup, int iters, int chunkBytes) {
    long elements() {
      return bytes / dtype.bytes();
    }

    RingConfig config(int rank, List<String> addresses, byte[] secret) {
      return new RingConfig(
          rank,
          ranks,
          addresses,
          secret,
          Duration.ofSeconds(60),
          Duration.ofSeconds(120),
          chunkBytes);
    }
  }

  public static void main(String[] args) throws Exception {
    BenchArgs a = new BenchArgs(args, Set.of("processes", "anchor"), OPTIONS, USAGE);
    Setup s =
        new Setup(
            a.intValue("ranks", 2),
            (long) a.intValue("mb", 256) << 20,
            DType.parse(a.string("dtype", "fp32")),
            a.intValue("warmup", 1),
            a.intValue("iters", 5),
            a.intValue("chunk-kb", RingConfig.DEFAULT_CHUNK_BYTES >> 10) << 10);
    if (a.string("child", null) != null) {
      BenchProcesses.child(s, a.intValue("child", 0));
      return;
    }
    System.out.printf(
        Locale.ROOT,
        "all-reduce of %d MiB %s, %d ranks as %s, chunk %d KiB%n",
        s.bytes() >> 20,
        s.dtype(),
        s.ranks(),
        a.flag("processes") ? "processes" : "threads",
        s.chunkBytes() >> 10);
    double streamGbps = Double.NaN;
    if (a.flag("anchor")) {
      streamGbps =
          s.bytes() / BenchArgs.median(TcpStreamBench.run(s.bytes(), s.warmup(), s.iters())) / 1e9;
      System.out.printf(Locale.ROOT, "anchor: one loopback TCP stream %.3f GB/s%n", streamGbps);
    }
    double[][] perRank = a.flag("processes") ? BenchProcesses.run(s, args) : runThreads(s);
    report(s, perRank, streamGbps);
  }

  private static double[][] runThreads(Setup s) throws Exception {
    byte[] secret = Secrets.newJobSecret();
    List<RingEndpoint> endpoints = new ArrayList<>();
    List<String> addresses = new ArrayList<>();
    for (int r = 0; r < s.ranks(); r++) {
      endpoints.add(RingEndpoint.bind(InetAddress.getLoopbackAddress()));
      addresses.add(endpoints.get(r).address());
    }
    ExecutorService pool = Executors.newFixedThreadPool(s.ranks());
    try {
      List<Future<double[]>> ranks = new ArrayList<>();
      for (int r = 0; r < s.ranks(); r++) {
        int rank = r;
        ranks.add(
            pool.submit(
                () -> {
                  try (TcpRingCommunicator comm =
                      TcpRingCommunicator.connect(
                          endpoints.get(rank), s.config(rank, addresses, secret))) {
                    return timeRank(comm, s);
                  }
                }));
      }
      double[][] out = new double[s.ranks()][];
      for (int r = 0; r < s.ranks(); r++) {
        out[r] = ranks.get(r).get();
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** One rank's seconds per timed all-reduce; a barrier lines the ranks up before each. */
  static double[] timeRank(Communicator comm, Setup s) {
    double[] seconds = new double[s.iters()];
    try (Allocator memory = new Allocator("bench-rank" + comm.rank());
        HostBuffer buf = memory.allocate("grads", s.dtype(), s.elements())) {
      Tensor t = Tensor.whole(buf);
      fillOnes(buf, s.dtype());
      for (int i = 0; i < s.warmup() + s.iters(); i++) {
        comm.barrier();
        long t0 = System.nanoTime();
        comm.allReduce(t).await();
        if (i >= s.warmup()) {
          seconds[i - s.warmup()] = (System.nanoTime() - t0) / 1e9;
        }
      }
    }
    return seconds;
  }

  private static void fillOnes(HostBuffer buf, DType dt) {
    if (dt == DType.FP32) {
      FloatBuffer f = buf.floats();
      while (f.hasRemaining()) {
        f.put(1f);
      }
    } else {
      short one = dt.fromFloat(1f);
      ShortBuffer h = buf.shorts();
      while (h.hasRemaining()) {
        h.put(one);
      }
    }
  }

  private static void report(Setup s, double[][] perRank, double streamGbps) {
    int iters = perRank[0].length;
    double[] slowest = new double[iters];
    double factor = 2.0 * (s.ranks() - 1) / s.ranks();
    for (int i = 0; i < iters; i++) {
      for (double[] r : perRank) {
        slowest[i] = Math.max(slowest[i], r[i]);
      }
      double alg = s.bytes() / slowest[i] / 1e9;
      System.out.printf(
          Locale.ROOT,
          "iter %d: %.2f ms  algbw %.3f GB/s  busbw %.3f GB/s%n",
          i,
          slowest[i] * 1e3,
          alg,
          alg * factor);
    }
    double alg = s.bytes() / BenchArgs.median(slowest) / 1e9;
    if (!Double.isNaN(streamGbps)) {
      System.out.printf(Locale.ROOT, "busbw / stream = %.2f%n", alg * factor / streamGbps);
    }
    System.out.printf(Locale.ROOT, "RESULT busbw_gbps=%.3f algbw_gbps=%.3f%n", alg * factor, alg);
  }
}
