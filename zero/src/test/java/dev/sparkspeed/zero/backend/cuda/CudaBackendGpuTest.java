package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The CUDA backend on a real GPU; skipped (not passed) where none is usable. */
@Tag("gpu")
class CudaBackendGpuTest {
  private Allocator host;
  private CudaBackend gpu;

  @BeforeEach
  void open() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        CudaProbe.available(), () -> CudaProbe.probe().reason());
    host = new Allocator("gpu-test-host");
    // Small staging buffers so every transfer below crosses several chunks.
    gpu = CudaBackend.open(CudaOptions.defaults().withDevice(0).withStaging(4096));
  }

  @AfterEach
  void close() {
    if (gpu != null) {
      gpu.close();
      host.close();
    }
  }

  private Tensor hostFloats(float[] v, int... shape) {
    HostBuffer h = host.allocate("host", DType.FP32, v.length);
    h.floats().put(v);
    return Tensor.of(h, 0, shape);
  }

  private float[] download(Tensor t) {
    try (HostBuffer h = host.allocate("down", DType.FP32, t.size())) {
      gpu.download(Tensor.of(h, 0, t.shape()), t);
      float[] out = new float[t.intSize()];
      h.floats().get(out);
      return out;
    }
  }

  private static float[] random(Random r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    return x;
  }

  @Test
  void uploadThenDownloadRoundTripsAcrossManyStagingChunks() {
    float[] v = random(new Random(1), 10_001);
    Tensor h = hostFloats(v, v.length);
    Tensor d = gpu.allocate("x", DType.FP32, v.length);
    gpu.upload(d, h);
    assertArrayEquals(v, download(d));
    gpu.free(d);
    h.storage().close();
  }

  @Test
  void gemmMatchesTheRowMajorReferenceForEveryTransposeCombination() {
    Random r = new Random(2);
    int m = 37, n = 29, k = 45;
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        int lda = ta ? m : k, ldb = tb ? k : n;
        float[] a = random(r, m * k);
        float[] b = random(r, k * n);
        float[] c = random(r, m * n);
        float[] expected = c.clone();
        GemmMappingTest.rowMajorGemm(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 2f, expected, n);
        Tensor da = gpu.allocate("a", DType.FP32, a.length);
        Tensor db = gpu.allocate("b", DType.FP32, b.length);
        Tensor dc = gpu.allocate("c", DType.FP32, c.length);
        gpu.upload(da, hostFloats(a, a.length));
        gpu.upload(db, hostFloats(b, b.length));
        gpu.upload(dc, hostFloats(c, c.length));
        gpu.gemm(ta, tb, m, n, k, 0.5f, da, lda, db, ldb, 2f, dc, n);
        float[] got = download(dc);
        for (int i = 0; i < got.length; i++) {
          assertEquals(
              expected[i], got[i], 1e-4f, (ta ? "T" : "N") + (tb ? "T" : "N") + " element " + i);
        }
        gpu.free(da);
        gpu.free(db);
        gpu.free(dc);
      }
    }
  }

  @Test
  void bf16CastsRoundExactlyAsTheHostDoes() {
    float[] v = random(new Random(3), 3001);
    for (int i = 0; i < v.length; i++) {
      v[i] *= 1e4f;
    }
    Tensor d32 = gpu.allocate("f", DType.FP32, v.length);
    Tensor d16 = gpu.allocate("h", DType.BF16, v.length);
    gpu.upload(d32, hostFloats(v, v.length));
    gpu.copy(d16, d32);
    try (HostBuffer h = host.allocate("bits", DType.BF16, v.length)) {
      gpu.download(Tensor.whole(h), d16);
      for (int i = 0; i < v.length; i++) {
        assertEquals(DType.floatToBf16(v[i]), h.shorts().get(i), "element " + i);
      }
    }
    gpu.free(d32);
    gpu.free(d16);
  }

  @Test
  void reductionsAndTheOverflowCheck() {
    float[] v = random(new Random(4), 50_000);
    double expected = 0;
    for (float x : v) {
      expected += (double) x * x;
    }
    Tensor d = gpu.allocate("x", DType.FP32, v.length);
    gpu.upload(d, hostFloats(v, v.length));
    assertEquals(expected, gpu.sumOfSquares(d), expected * 1e-9);
    assertTrue(gpu.allFinite(d));
    gpu.fill(d.view(123, 1), Float.NaN);
    assertFalse(gpu.allFinite(d));
    gpu.free(d);
  }

  @Test
  void aSteadyStateStepAllocatesNothingNewFromTheDriver() {
    for (int step = 0; step < 3; step++) {
      Tensor a = gpu.allocate("activations", DType.FP32, 1 << 16);
      Tensor g = gpu.allocate("grads", DType.BF16, 1 << 15);
      gpu.free(a);
      gpu.free(g);
    }
    long reserved = gpu.reservedBytes();
    Tensor a = gpu.allocate("activations", DType.FP32, 1 << 16);
    assertEquals(reserved, gpu.reservedBytes());
    gpu.free(a);
  }

  @Test
  void closingWithLiveTensorsReportsTheLeak() {
    gpu.allocate("adam_m", DType.FP32, 1000);
    Allocator.LeakException e = assertThrows(Allocator.LeakException.class, gpu::close);
    assertTrue(e.getMessage().contains("adam_m=4000"), e.getMessage());
    gpu = null;
    host.close();
  }
}
