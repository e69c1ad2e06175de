package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Random;

/**
 * Square single-precision GEMM through {@link CpuBackend} (OpenBLAS): prints each timed iteration
 * and ends with one line {@code RESULT n=N gflops=X}, X the median GFLOP/s counting 2·n³ flops per
 * GEMM. Usage: {@code GemmBench [--n 2048] [--iters 10] [--warmup 2]}.
 */
public final class GemmBench {
  private GemmBench() {}

  /** Runs the benchmark; see the class comment for the arguments. */
  public static void main(String[] args) {
    int n = 2048;
    int iters = 10;
    int warmup = 2;
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      int value = parsePositive(flag, args[++i]);
      switch (flag) {
        case "--n" -> n = value;
        case "--iters" -> iters = value;
        case "--warmup" -> warmup = value;
        default ->
            throw new IllegalArgumentException(
                "unknown option " + flag + ": expected --n, --iters, --warmup");
      }
    }
    double median = BenchArgs.median(run(n, iters, warmup));
    System.out.printf("RESULT n=%d gflops=%.1f%n", n, median);
  }

  private static int parsePositive(String flag, String text) {
    try {
      int v = Integer.parseInt(text);
      if (v > 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // Falls through to the message below, which names the flag.
    }
    throw new IllegalArgumentException(flag + " must be a positive integer, got '" + text + "'");
  }

  private static double[] run(int n, int iters, int warmup) {
    double flops = 2.0 * n * n * n;
    double[] gflops = new double[iters];
    try (CpuBackend cpu = new CpuBackend()) {
      Tensor a = cpu.allocate("bench", DType.FP32, n, n);
      Tensor b = cpu.allocate("bench", DType.FP32, n, n);
      Tensor c = cpu.allocate("bench", DType.FP32, n, n);
      try {
        fillRandom(a, 1);
        fillRandom(b, 2);
        System.out.printf(
            "sgemm %dx%dx%d on %s, %d OpenBLAS threads%n",
            n, n, n, cpu.name(), CpuBackend.blasThreads());
        for (int i = 0; i < warmup + iters; i++) {
          long t0 = System.nanoTime();
          cpu.gemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
          double seconds = (System.nanoTime() - t0) * 1e-9;
          if (i >= warmup) {
            gflops[i - warmup] = flops / seconds * 1e-9;
            System.out.printf(
                "iter %d: %.2f ms, %.1f GFLOP/s%n", i - warmup, seconds * 1e3, gflops[i - warmup]);
          }
        }
      } finally {
        cpu.free(a);
        cpu.free(b);
        cpu.free(c);
      }
    }
    return gflops;
  }

  private static void fillRandom(Tensor t, long seed) {
    Random random = new Random(seed);
    FloatBuffer f = t.floats();
    for (int i = 0; i < f.capacity(); i++) {
      f.put(i, random.nextFloat() - 0.5f);
    }
  }
}
