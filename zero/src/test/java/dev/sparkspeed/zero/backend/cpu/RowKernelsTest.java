package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RowKernelsTest {
  private static final RowKernels SCALAR = RowKernels.scalar();

  private static boolean vectorModule() {
    return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
  }

  private static float[] row(SplittableRandom r, int n, float spread) {
    float[] a = new float[n];
    for (int j = 0; j < n; j++) {
      a[j] = (float) (r.nextGaussian() * spread);
    }
    return a;
  }

  @Test
  void testJvmUsesTheVectorKernels() {
    assumeTrue(vectorModule(), "JVM started without --add-modules=jdk.incubator.vector");
    assertEquals(
        VectorRowKernels.class,
        RowKernels.fastest().getClass(),
        "the build's test JVM adds the module, so the vector kernels must be chosen");
  }

  @Test
  void testFastestMatchesScalarBitForBit() {
    RowKernels fast = RowKernels.fastest();
    SplittableRandom r = new SplittableRandom(11);
    int[] lengths = {0, 1, 7, 8, 15, 16, 17, 31, 33, 64, 65, 129, 1000, 1024, 1027, 2051, 50304};
    for (int n : lengths) {
      for (int from : new int[] {0, 3}) {
        if (from > n) {
          continue;
        }
        // spread 40 puts some shifted values below e^x's underflow at −87.3
        float[] a = row(r, n, n > 1000 ? 3f : 40f);
        float maxS = SCALAR.max(a, from, n);
        float maxF = fast.max(a, from, n);
        assertEquals(Float.floatToIntBits(maxS), Float.floatToIntBits(maxF), "max, n " + n);
        float[] dS = new float[n];
        float[] dF = new float[n];
        double sumS = SCALAR.expShifted(a, dS, from, n, maxS);
        double sumF = fast.expShifted(a, dF, from, n, maxF);
        assertEquals(Double.doubleToLongBits(sumS), Double.doubleToLongBits(sumF), "sum, n " + n);
        assertTrue(Arrays.equals(dS, dF), "exponentials differ, n " + n + " from " + from);
        SCALAR.scale(dS, from, n, 1f / 3);
        fast.scale(dF, from, n, 1f / 3);
        assertTrue(Arrays.equals(dS, dF), "scaled rows differ, n " + n);
      }
    }
  }

  @Test
  void testExponentialsAndSumMatchDoubleMath() {
    RowKernels fast = RowKernels.fastest();
    float[] a = row(new SplittableRandom(5), 50304, 4f);
    float max = fast.max(a, 0, a.length);
    float[] e = a.clone();
    double sum = fast.expShifted(e, e, 0, e.length, max);
    double exact = 0;
    for (int j = 0; j < a.length; j++) {
      // the kernels subtract in float, as the scalar loops always did
      double want = Math.exp(a[j] - max);
      exact += want;
      assertEquals(want, e[j], 4e-7 * want + 1e-37, "e^x at " + j);
    }
    assertEquals(exact, sum, 3e-7 * exact, "sum of 50304 exponentials");
  }

  @Test
  void testNaNAndExtremesAgreeWithScalar() {
    RowKernels fast = RowKernels.fastest();
    float[] a = new float[40];
    Arrays.fill(a, 1f);
    a[5] = -200f;
    a[21] = 100f;
    a[33] = Float.NaN;
    assertTrue(Float.isNaN(fast.max(a, 0, a.length)), "NaN must reach the maximum");
    float[] dS = new float[40];
    float[] dF = new float[40];
    SCALAR.expShifted(a, dS, 0, 40, 0f);
    fast.expShifted(a, dF, 0, 40, 0f);
    assertEquals(0f, dF[5], "below underflow");
    assertEquals(Float.POSITIVE_INFINITY, dF[21], "above overflow");
    assertTrue(Float.isNaN(dF[33]), "NaN in, NaN out");
    assertTrue(Arrays.equals(dS, dF), "scalar and vector disagree on extremes");
  }
}
