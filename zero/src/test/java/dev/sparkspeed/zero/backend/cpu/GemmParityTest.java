package dev.sparkspeed.zero.backend.cpu;

import static dev.sparkspeed.zero.backend.cpu.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * OpenBLAS GEMM through {@link CpuBackend} against the triple loops of {@link ReferenceBackend}.
 */
class GemmParityTest {
  /** Float sums in a different order: relative to each output's own scale. */
  private static final double TOL = 1e-5;

  private TestTensors tt;
  private CpuBackend cpu;
  private ReferenceBackend ref;

  @BeforeEach
  void open() {
    tt = new TestTensors(11);
    cpu = new CpuBackend(3, 64L << 20);
    ref = new ReferenceBackend(64L << 20);
  }

  @AfterEach
  void close() {
    cpu.close();
    ref.close();
    tt.close();
  }

  @ParameterizedTest
  @CsvSource({"false,false", "false,true", "true,false", "true,true"})
  void gemmMatchesReferenceWithOddSizesAndLeadingDimensions(boolean transA, boolean transB) {
    int m = 37;
    int n = 29;
    int k = 23;
    int lda = (transA ? m : k) + 3;
    int ldb = (transB ? k : n) + 5;
    int ldc = n + 2;
    Tensor a = tt.uniform(1, (transA ? k : m) * lda);
    Tensor b = tt.uniform(1, (transB ? n : k) * ldb);
    Tensor c = tt.uniform(1, m * ldc);
    Tensor cRef = tt.copyOf(c);
    Tensor c0 = tt.copyOf(c);
    cpu.gemm(transA, transB, m, n, k, 0.7f, a, lda, b, ldb, 0.3f, c, ldc);
    ref.gemm(transA, transB, m, n, k, 0.7f, a, lda, b, ldb, 0.3f, cRef, ldc);
    assertClose("gemm " + transA + "," + transB, cRef, c, TOL);
    for (int i = 0; i < m; i++) {
      for (int j = n; j < ldc; j++) {
        int at = i * ldc + j;
        assertEquals(c0.floats().get(at), c.floats().get(at), "C padding at " + at + " changed");
        assertEquals(c0.floats().get(at), cRef.floats().get(at), "reference touched padding");
      }
    }
  }

  @Test
  void betaZeroDoesNotReadC() {
    int n = 8;
    Tensor a = tt.uniform(1, n * n);
    Tensor b = tt.uniform(1, n * n);
    Tensor c = tt.zeros(n * n);
    Tensor cRef = tt.zeros(n * n);
    cpu.fill(c, Float.NaN);
    ref.fill(cRef, Float.NaN);
    cpu.gemm(false, false, n, n, n, 1f, a, n, b, n, 0f, c, n);
    ref.gemm(false, false, n, n, n, 1f, a, n, b, n, 0f, cRef, n);
    assertTrue(cpu.allFinite(c), "beta 0 must overwrite NaN in C");
    assertClose("gemm beta 0", cRef, c, TOL);
  }

  @ParameterizedTest
  @CsvSource({"false,false", "false,true", "true,false", "true,true"})
  void stridedBatchedMatchesReference(boolean transA, boolean transB) {
    int m = 9;
    int n = 7;
    int k = 5;
    int batch = 3;
    int lda = transA ? m : k;
    int ldb = transB ? k : n;
    int ldc = n + 1;
    long strideA = (long) (transA ? k : m) * lda + 4;
    long strideB = (long) (transB ? n : k) * ldb + 3;
    long strideC = (long) m * ldc + 2;
    Tensor a = tt.uniform(1, (int) (strideA * batch));
    Tensor b = tt.uniform(1, (int) (strideB * batch));
    Tensor c = tt.uniform(1, (int) (strideC * batch));
    Tensor cRef = tt.copyOf(c);
    cpu.gemmStridedBatched(
        transA, transB, m, n, k, 1.25f, a, lda, strideA, b, ldb, strideB, 0.5f, c, ldc, strideC,
        batch);
    ref.gemmStridedBatched(
        transA, transB, m, n, k, 1.25f, a, lda, strideA, b, ldb, strideB, 0.5f, cRef, ldc, strideC,
        batch);
    assertClose("strided batched " + transA + "," + transB, cRef, c, TOL);
  }

  @Test
  void gemmOnBackendAllocatedViewsWithOffsets() {
    int n = 16;
    Tensor whole = cpu.allocate("activations", DType.FP32, 3 * n * n);
    try {
      FloatBuffer f = whole.floats();
      for (int i = 0; i < f.capacity(); i++) {
        f.put(i, (i % 7) - 3f);
      }
      Tensor a = whole.view(0, n, n);
      Tensor b = whole.view(n * n, n, n);
      Tensor c = whole.view(2 * n * n, n, n);
      Tensor cRef = tt.copyOf(c);
      cpu.gemm(false, true, n, n, n, 1f, a, n, b, n, 0f, c, n);
      ref.gemm(false, true, n, n, n, 1f, a, n, b, n, 0f, cRef, n);
      assertClose("gemm on views", cRef, c, TOL);
    } finally {
      cpu.free(whole);
    }
  }

  @Test
  void operandTooSmallFailsBeforeNativeCall() {
    Tensor a = tt.zeros(10);
    Tensor b = tt.zeros(16);
    Tensor c = tt.zeros(16);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> cpu.gemm(false, false, 4, 4, 4, 1f, a, 4, b, 4, 0f, c, 4));
    assertTrue(e.getMessage().contains("gemm A"), e.getMessage());
  }
}
