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
  void sigmoidIsRelativelyAccurateOnBothTails() {
    for (float z : new float[] {-80f, -30f, -5f, 0f, 5f, 30f, 80f, 100f}) {
      double exact = 1.0 / (1.0 + Math.exp(-z));
      assertEquals(exact, CpuMath.sigmoid(z), 1e-6 * exact, "sigmoid(" + z + ")");
    }
    assertEquals(0f, CpuMath.sigmoid(-100f));
  }
}
