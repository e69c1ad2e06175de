package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Runs the mapped call through a plain column-major GEMM (cuBLAS's definition, written out) and
 * compares it with a row-major reference on the same bytes.
 */
class GemmMappingTest {

  /** cuBLAS semantics: column-major, element (i, j) of X at X[i + j·ld]. */
  static void columnMajorGemm(
      GemmMapping.Call c, float alpha, float[] a, float[] b, float beta, float[] out) {
    for (int j = 0; j < c.n(); j++) {
      for (int i = 0; i < c.m(); i++) {
        double acc = 0;
        for (int p = 0; p < c.k(); p++) {
          float x = c.transA() ? a[p + i * c.lda()] : a[i + p * c.lda()];
          float y = c.transB() ? b[j + p * c.ldb()] : b[p + j * c.ldb()];
          acc += (double) x * y;
        }
        out[i + j * c.ldc()] = (float) (alpha * acc + beta * out[i + j * c.ldc()]);
      }
    }
  }

  /** The Backend contract: row-major, element (i, j) at X[i·ld + j]. */
  static void rowMajorGemm(
      boolean ta,
      boolean tb,
      int m,
      int n,
      int k,
      float alpha,
      float[] a,
      int lda,
      float[] b,
      int ldb,
      float beta,
      float[] c,
      int ldc) {
    for (int i = 0; i < m; i++) {
      for (int j = 0; j < n; j++) {
        double acc = 0;
        for (int p = 0; p < k; p++) {
          float x = ta ? a[p * lda + i] : a[i * lda + p];
          float y = tb ? b[j * ldb + p] : b[p * ldb + j];
          acc += (double) x * y;
        }
        c[i * ldc + j] = (float) (alpha * acc + beta * c[i * ldc + j]);
      }
    }
  }

  @ParameterizedTest
  @CsvSource({"false,false", "false,true", "true,false", "true,true"})
  void mappedCallComputesTheRowMajorProduct(boolean ta, boolean tb) {
    int m = 5, n = 7, k = 3;
    int lda = (ta ? m : k) + 2, ldb = (tb ? k : n) + 1, ldc = n + 3;
    Random rnd = new Random(42);
    float[] a = random(rnd, (ta ? k : m) * lda);
    float[] b = random(rnd, (tb ? n : k) * ldb);
    float[] c0 = random(rnd, m * ldc);
    float[] expected = c0.clone();
    float[] actual = c0.clone();
    rowMajorGemm(ta, tb, m, n, k, 1.5f, a, lda, b, ldb, 0.5f, expected, ldc);
    GemmMapping.Call call = GemmMapping.rowMajor(ta, tb, m, n, k, lda, ldb, ldc);
    // Operands swapped: the column-major call's first operand is the row-major B.
    columnMajorGemm(call, 1.5f, b, a, 0.5f, actual);
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-5f, "element " + i);
    }
  }

  @Test
  void shortRowStridesAreRejectedNamingTheArgument() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> GemmMapping.rowMajor(false, true, 4, 5, 6, 6, 5, 5));
    assertTrue(e.getMessage().startsWith("ldb=5"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> GemmMapping.rowMajor(true, false, 4, 5, 6, 3, 5, 5));
  }

  @Test
  void extentCoversTheLastRowOnly() {
    assertEquals(2 * 10 + 4, GemmMapping.extent(3, 4, 10));
    assertEquals(0, GemmMapping.extent(0, 4, 10));
  }

  private static float[] random(Random r, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = r.nextFloat() * 2 - 1;
    }
    return x;
  }
}
