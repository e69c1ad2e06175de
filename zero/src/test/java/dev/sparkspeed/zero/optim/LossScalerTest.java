package dev.sparkspeed.zero.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Overflow sequences against DeepSpeed's DynamicLossScaler, traced by hand: an overflow spends one
 * unit of hysteresis, the last one halves the scale; a clean step doubles the scale when the clean
 * steps before it since the last overflow (or the start) are a positive multiple of the window.
 */
class LossScalerTest {

  /** Feeds the pattern ('x' overflow, '.' clean) and returns the scale after each update. */
  private static double[] run(LossScaler s, String pattern) {
    double[] out = new double[pattern.length()];
    for (int i = 0; i < pattern.length(); i++) {
      boolean overflow = pattern.charAt(i) == 'x';
      assertEquals(overflow, s.update(overflow), "skip flag at iteration " + i);
      out[i] = s.scale();
    }
    return out;
  }

  @Test
  void cleanStepsDoubleAfterEachWindow() {
    LossScaler s = LossScaler.dynamic(4, 3, 1, 1, false);
    assertEquals(16, s.scale());
    // iteration i has i clean steps before it: doubles at i = 3, 6, 9
    assertArrayEquals(new double[] {16, 16, 16, 32, 32, 32, 64, 64, 64, 128}, run(s, ".........."));
  }

  @Test
  void overflowHalvesAndRestartsTheWindow() {
    LossScaler s = LossScaler.dynamic(10, 2, 1, 1, false);
    // overflow at 1 halves; clean 2, 3; at 4 two clean steps since the overflow: double;
    // 5 halves; 6 is the first clean step after it; 7 and 8 halve again
    assertArrayEquals(
        new double[] {1024, 512, 512, 512, 1024, 512, 512, 256, 128, 128}, run(s, ".x...x.xx."));
  }

  @Test
  void hysteresisDelaysTheHalvingAndIsRefilledOnlyWhenTheScaleGrows() {
    LossScaler s = LossScaler.dynamic(10, 2, 2, 1, false);
    double[] got = run(s, ".xx...x.x");
    // 1: hysteresis 2→1, scale kept; 2: halves; 3,4 clean; 5: double and refill hysteresis to 2;
    // 6: 2→1; 7 clean (no refill without consecutive_hysteresis); 8: halves
    assertArrayEquals(new double[] {1024, 1024, 512, 512, 512, 1024, 1024, 1024, 512}, got);
  }

  @Test
  void consecutiveHysteresisRefillsOnEveryCleanStep() {
    LossScaler s = LossScaler.dynamic(10, 2, 2, 1, true);
    double[] got = run(s, ".xx...x.x");
    // same as above until 7, whose clean step restores hysteresis, so 8 only spends it
    assertArrayEquals(new double[] {1024, 1024, 512, 512, 512, 1024, 1024, 1024, 1024}, got);
    // x.x.x never halves while each overflow is followed by a clean step
    LossScaler t = LossScaler.dynamic(5, 100, 2, 1, true);
    assertArrayEquals(new double[] {32, 32, 32, 32, 32}, run(t, "x.x.x"));
    LossScaler u = LossScaler.dynamic(5, 100, 2, 1, false);
    assertArrayEquals(new double[] {32, 32, 16, 16, 8}, run(u, "x.x.x"));
  }

  @Test
  void scaleStopsAtTheMinimumThenFails() {
    LossScaler s = LossScaler.dynamic(3, 1000, 1, 3, false);
    // 8 → max(4, 3) = 4 → max(2, 3) = 3 → at the minimum: fail
    assertArrayEquals(new double[] {4, 3}, run(s, "xx"));
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.update(true));
    assertTrue(e.getMessage().contains("min_loss_scale 3.0"), e.getMessage());
    assertTrue(e.getMessage().contains("bf16"), e.getMessage());
  }

  @Test
  void staticScaleSkipsWithoutMoving() {
    LossScaler s = LossScaler.fixed(128);
    assertArrayEquals(new double[] {128, 128, 128, 128, 128}, run(s, "xx..x"));
    for (int i = 0; i < 100; i++) {
      assertTrue(s.update(true));
    }
    assertEquals(128, s.scale());
    LossScaler none = LossScaler.none();
    assertFalse(none.update(false));
    assertEquals(1.0, none.scale());
  }

  @Test
  void stateRestoresMidSequence() {
    LossScaler a = LossScaler.dynamic(8, 2, 2, 1, false);
    run(a, ".x.");
    LossScaler b = LossScaler.dynamic(8, 2, 2, 1, false);
    b.restore(a.state());
    assertArrayEquals(run(a, ".x.x..x"), run(b, ".x.x..x"));
  }
}
