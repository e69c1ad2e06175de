package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The linear and attention layers of a backend with BF16 layer GEMMs against the CPU's FP32 ones:
 * within 1e-2 of the largest reference magnitude, with gradients accumulated (not overwritten).
 * Skipped (not passed) without a usable GPU.
 */
@Tag("gpu")
class HalfGemmLayersGpuTest {
  private static final double LIMIT = 1e-2;

  private Allocator host;
  private CpuBackend cpu;
  private CudaBackend gpu;
  private final Random rnd = new Random(17);
  private final List<Pair> live = new ArrayList<>();

  @BeforeEach
  void open() {
    Assumptions.assumeTrue(CudaProbe.available(), () -> CudaProbe.probe().reason());
    host = new Allocator("half-gemm-test-host");
    cpu = new CpuBackend();
    gpu = CudaBackend.open(CudaOptions.defaults().withLayerGemm(DType.BF16));
  }

  @AfterEach
  void close() {
    if (gpu != null) {
      for (Pair p : live) {
        cpu.free(p.ref());
        gpu.free(p.test());
      }
      gpu.close();
      cpu.close();
      host.close();
    }
  }

  /** The same values on both backends. */
  private record Pair(Tensor ref, Tensor test) {}

  private Pair uniform(int... shape) {
    Tensor r = cpu.allocate("t", DType.FP32, shape);
    Tensor g = gpu.allocate("t", DType.FP32, shape);
    try (HostBuffer h = host.allocate("up", DType.FP32, r.size())) {
      for (int i = 0; i < r.size(); i++) {
        h.floats().put(i, rnd.nextFloat() * 2 - 1);
      }
      Tensor ht = Tensor.of(h, 0, shape);
      cpu.upload(r, ht);
      gpu.upload(g, ht);
      gpu.synchronize();
    }
    Pair p = new Pair(r, g);
    live.add(p);
    return p;
  }

  private float[] values(Backend b, Tensor t) {
    try (HostBuffer h = host.allocate("down", DType.FP32, t.size())) {
      b.download(Tensor.of(h, 0, t.shape()), t);
      b.synchronize();
      float[] out = new float[t.intSize()];
      h.floats().get(out);
      return out;
    }
  }

  private double error(Pair p) {
    float[] ref = values(cpu, p.ref());
    float[] test = values(gpu, p.test());
    double maxDiff = 0;
    double maxRef = 0;
    for (int i = 0; i < ref.length; i++) {
      maxRef = Math.max(maxRef, Math.abs(ref[i]));
      maxDiff = Math.max(maxDiff, Math.abs((double) test[i] - ref[i]));
    }
    return Float.isFinite((float) maxDiff) ? maxDiff / Math.max(maxRef, 1e-30) : Double.NaN;
  }

  private void assertClose(String what, Pair p) {
    double e = error(p);
    assertTrue(e <= LIMIT, what + " error " + e + " > " + LIMIT);
  }

  @Test
  void linearForwardAndBackwardMatchFp32WithinBf16Rounding() {
    int rows = 96, in = 80, out = 72;
    Pair x = uniform(rows, in);
    Pair w = uniform(out, in);
    Pair bias = uniform(out);
    Pair y = uniform(rows, out);
    cpu.linearForward(y.ref(), x.ref(), w.ref(), bias.ref(), rows, in, out);
    gpu.linearForward(y.test(), x.test(), w.test(), bias.test(), rows, in, out);
    assertClose("linear out", y);
    Pair dy = uniform(rows, out);
    Pair dx = uniform(rows, in);
    Pair dw = uniform(out, in);
    Pair db = uniform(out);
    cpu.linearBackward(dx.ref(), dw.ref(), db.ref(), dy.ref(), x.ref(), w.ref(), rows, in, out);
    gpu.linearBackward(
        dx.test(), dw.test(), db.test(), dy.test(), x.test(), w.test(), rows, in, out);
    assertClose("linear din", dx);
    assertClose("linear dweight", dw);
    assertClose("linear dbias", db);
  }

  @Test
  void attentionOutputAndQkvGradientMatchFp32WithinBf16Rounding() {
    int b = 2, t = 48, c = 64, nh = 4;
    Pair qkv = uniform(b, t, 3 * c);
    Pair out = uniform(b, t, c);
    Pair preatt = uniform(b, nh, t, t);
    Pair att = uniform(b, nh, t, t);
    cpu.attentionForward(out.ref(), preatt.ref(), att.ref(), qkv.ref(), b, t, c, nh);
    gpu.attentionForward(out.test(), preatt.test(), att.test(), qkv.test(), b, t, c, nh);
    assertClose("attention out", out);
    Pair dout = uniform(b, t, c);
    Pair dqkv = uniform(b, t, 3 * c);
    Pair dpreatt = uniform(b, nh, t, t);
    Pair datt = uniform(b, nh, t, t);
    cpu.attentionBackward(
        dqkv.ref(), dpreatt.ref(), datt.ref(), dout.ref(), qkv.ref(), att.ref(), b, t, c, nh);
    gpu.attentionBackward(
        dqkv.test(), dpreatt.test(), datt.test(), dout.test(), qkv.test(), att.test(), b, t, c, nh);
    assertClose("attention dqkv", dqkv);
  }

  @Test
  void steadyStateCallsAllocateNothing() {
    int rows = 64, in = 32, out = 48;
    Pair x = uniform(rows, in);
    Pair w = uniform(out, in);
    Pair y = uniform(rows, out);
    gpu.linearForward(y.test(), x.test(), w.test(), null, rows, in, out);
    long before = gpu.allocationCount();
    gpu.linearForward(y.test(), x.test(), w.test(), null, rows, in, out);
    gpu.synchronize();
    assertEquals(before, gpu.allocationCount(), "operand slots are kept between calls");
  }
}
