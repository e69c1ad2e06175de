package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CpuMathTest {
  @Test
  void expIsWithinThreeTenthsOfAMillionthAcrossTheNormalRange() {
    Random random = new Random(3);
    double worst = 0;
    float worstAt = 0;
    for (int i = 0; i < 1_000_000; i++) {
      float x = -87f + random.nextFloat() * 175.5f;
      double exact = Math.exp(x);
      double err = Math.abs(CpuMath.exp(x) - exact) / exact;
      if (err > worst) {
        worst = err;
        worstAt = x;
      }
    }
    assertTrue(worst < 3e-7, "relative error " + worst + " at " + worstAt);
    assertEquals(1f, CpuMath.exp(0f));
  }

  @Test
  void expEdges() {
    assertEquals(0f, CpuMath.exp(-88f));
    assertEquals(0f, CpuMath.exp(Float.NEGATIVE_INFINITY));
    assertEquals(Float.POSITIVE_INFINITY, CpuMath.exp(89f));
    assertEquals(Float.POSITIVE_INFINITY, CpuMath.exp(Float.POSITIVE_INFINITY));
    assertTrue(Float.isNaN(CpuMath.exp(Float.NaN)));
    float top = 88.72f;
    assertEquals(Math.exp(top), CpuMath.exp(top), 3e-7 * Math.exp(top), "2^128 split in two");
  }

  @Test
  void tanhIsWithinFourTenthsOfAMillionthAndSaturates() {
    double worst = 0;
    for (int i = -2_000_000; i <= 2_000_000; i++) {
      float u = i * 6e-6f;
      double exact = Math.tanh(u);
      double err =
          u == 0 ? Math.abs(CpuMath.tanh(u)) : Math.abs(CpuMath.tanh(u) - exact) / Math.abs(exact);
      worst = Math.max(worst, err);
    }
    assertTrue(worst < 4e-7, "worst relative error " + worst);
    for (float u : new float[] {9f, 9.5f, 20f, 1e6f, 3e38f}) {
      assertEquals(1.0, CpuMath.tanh(u), 3e-7, "tanh(" + u + ")");
      assertEquals(-1.0, CpuMath.tanh(-u), 3e-7, "tanh(" + -u + ")");
    }
    assertEquals(1e-20f, CpuMath.tanh(1e-20f), "tiny arguments are exact");
  }
}
