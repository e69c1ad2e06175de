package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Square GEMM throughput on the backend under test: BF16 inputs with FP32 accumulation (the
 * training path) and plain FP32, on random data (zeros run faster and would flatter the card).
 * Three warm-up products, then the mean of ten. The BF16 figure is kept: it is the reference rate
 * the GPT-2 benchmark's MFU is measured against.
 */
public final class GemmBenchmarkSection implements CheckSection {
  private final int size;
  private double bf16Tflops = Double.NaN;

  /**
   * @param size m = n = k of the products, e.g. 8192
   */
  public GemmBenchmarkSection(int size) {
    this.size = size;
  }

  @Override
  public String name() {
    return "gemm";
  }

  @Override
  public List<Row> run(Backend gpu, Backend cpu) {
    List<Row> rows = new ArrayList<>();
    rows.add(Row.figure("bf16→bf16 " + size + "³", bf16Tflops(gpu), "TFLOP/s"));
    rows.add(
        Row.figure("fp32 " + size + "³ (no TF32)", tflops(gpu, DType.FP32, DType.FP32), "TFLOP/s"));
    return rows;
  }

  /**
   * The BF16 GEMM rate on {@code gpu}, TFLOP/s: the figure this section reported, measured now if
   * the section has not run.
   */
  public double bf16Tflops(Backend gpu) {
    if (Double.isNaN(bf16Tflops)) {
      bf16Tflops = tflops(gpu, DType.BF16, DType.BF16);
    }
    return bf16Tflops;
  }

  private double tflops(Backend gpu, DType in, DType out) {
    int n = size;
    Tensor a = gpu.allocate("bench", in, n, n);
    Tensor b = gpu.allocate("bench", in, n, n);
    Tensor c = gpu.allocate("bench", out, n, n);
    try {
      randomize(gpu, a);
      randomize(gpu, b);
      for (int i = 0; i < 3; i++) {
        gpu.gemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
      }
      gpu.synchronize();
      int reps = 10;
      long start = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        gpu.gemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
      }
      gpu.synchronize();
      double seconds = (System.nanoTime() - start) / 1e9 / reps;
      return 2.0 * n * n * n / seconds / 1e12;
    } finally {
      gpu.free(a);
      gpu.free(b);
      gpu.free(c);
    }
  }

  /** Uploads uniform values in [-1, 1) through a host buffer. */
  private static void randomize(Backend gpu, Tensor t) {
    SplittableRandom rnd = new SplittableRandom(t.size());
    try (Allocator host = new Allocator("bench-host")) {
      HostBuffer h = host.allocate("bench", t.dtype(), t.size());
      if (t.dtype() == DType.FP32) {
        java.nio.FloatBuffer f = h.floats();
        for (int i = 0; i < t.size(); i++) {
          f.put(i, (float) (rnd.nextDouble() * 2 - 1));
        }
      } else {
        ShortBuffer s = h.shorts();
        for (int i = 0; i < t.size(); i++) {
          s.put(i, t.dtype().fromFloat((float) (rnd.nextDouble() * 2 - 1)));
        }
      }
      gpu.upload(t, Tensor.of(h, 0, t.shape()));
      gpu.synchronize();
      h.close();
    }
  }
}
