package dev.sparkspeed.zero.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The schedules against DeepSpeed's formulas, written out here as functions of DeepSpeed's
 * last_batch_iteration i. DeepSpeed's engine runs optimizer step k at iteration k − 1 (the first
 * step at the scheduler's pre-start rate), so each case states the expected rate of step k.
 */
class LrScheduleTest {
  private static final double TOL = 1e-15;

  private static void assertLr(double expected, LrSchedule s, long k) {
    assertEquals(expected, s.lr(k), TOL + 1e-12 * Math.abs(expected), "lr of step " + k);
  }

  @Test
  void warmupLrLog() {
    double min = 1e-4;
    double max = 1e-2;
    long w = 10;
    LrSchedule s = LrSchedule.warmupLr(min, max, w, "log");
    // pre-start, then i = 0 where log(1) = 0: the first two steps both run at warmup_min_lr
    assertLr(min, s, 0);
    assertLr(min, s, 1);
    assertLr(min + (max - min) * Math.log(2) / Math.log(10), s, 2);
    assertLr(min + (max - min) * Math.log(6) / Math.log(10), s, 6);
    // i = W − 1: log(W)/log(W) = 1 exactly at the last warmup iteration
    assertLr(max, s, w);
    assertLr(max, s, w + 1);
    assertLr(max, s, 1_000_000);
  }

  @Test
  void warmupLrLinear() {
    double min = 0.0;
    double max = 0.5;
    long w = 8;
    LrSchedule s = LrSchedule.warmupLr(min, max, w, "linear");
    assertLr(0.0, s, 0);
    assertLr(0.0, s, 1);
    assertLr(max * 1 / 8.0, s, 2);
    assertLr(max * 4 / 8.0, s, 5);
    // unlike log warmup, linear reaches the peak only at i = W
    assertLr(max * 7 / 8.0, s, w);
    assertLr(max, s, w + 1);
    assertLr(max, s, 500);
  }

  @Test
  void warmupOfOneStepIsTreatedAsTwo() {
    // DeepSpeed: warmup_num_steps = max(2, warmup_num_steps)
    LrSchedule s = LrSchedule.warmupLr(0.0, 1.0, 1, "linear");
    assertLr(0.0, s, 1);
    assertLr(0.5, s, 2);
    assertLr(1.0, s, 3);
  }

  @Test
  void warmupDecayLr() {
    double min = 1e-5;
    double max = 1e-3;
    long w = 5;
    long total = 20;
    LrSchedule s = LrSchedule.warmupDecayLr(min, max, w, "linear", total);
    assertLr(min, s, 0);
    assertLr(min, s, 1);
    assertLr(min + (max - min) * 3 / 5.0, s, 4);
    assertLr(min + (max - min) * 4 / 5.0, s, 5);
    // i = W: decay starts at (total − W)/(total − W) = 1
    assertLr(max, s, 6);
    assertLr(min + (max - min) * (20 - 12) / 15.0, s, 13);
    assertLr(min + (max - min) * 1 / 15.0, s, 20);
    // i = total: gamma 0, then clamped at 0: the rate rests at warmup_min_lr
    assertLr(min, s, 21);
    assertLr(min, s, 1000);
  }

  @Test
  void warmupDecayLrLogWarmup() {
    LrSchedule s = LrSchedule.warmupDecayLr(0.0, 1.0, 4, "log", 10);
    assertLr(Math.log(3) / Math.log(4), s, 3);
    assertLr(1.0, s, 4);
    assertLr(1.0, s, 5);
    assertLr(5 / 6.0, s, 6);
  }

  @Test
  void warmupCosineLr() {
    double base = 3e-3;
    long total = 20;
    double minRatio = 0.1;
    long w = 5;
    double cosMin = 0.01;
    LrSchedule s = LrSchedule.warmupCosineLr(base, total, minRatio, w, cosMin, "linear");
    // DeepSpeed's WarmupCosineLR returns 0 before its first step
    assertLr(0.0, s, 0);
    assertLr(base * minRatio, s, 1);
    assertLr(base * (minRatio + 2 / 5.0 * (1 - minRatio)), s, 3);
    assertLr(base * (minRatio + 4 / 5.0 * (1 - minRatio)), s, 5);
    // i = W: real step 1 of 15
    assertLr(base * (cosMin + (1 - cosMin) * (1 + Math.cos(Math.PI / 15)) / 2), s, 6);
    assertLr(base * (cosMin + (1 - cosMin) * (1 + Math.cos(Math.PI * 8 / 15)) / 2), s, 13);
    // i = total − 1: progress 1, the floor
    assertLr(base * cosMin, s, 20);
    // past the end the ratio stays at the floor instead of rising again
    assertLr(base * cosMin, s, 21);
    assertLr(base * cosMin, s, 35);
    assertLr(base * cosMin, s, 1000);
  }

  @Test
  void warmupCosineLrLogWarmupAndZeroFloor() {
    LrSchedule s = LrSchedule.warmupCosineLr(1.0, 10, 0.0, 4, 0.0, "log");
    assertLr(0.0, s, 1);
    assertLr(Math.log(2) / Math.log(4), s, 2);
    assertLr(Math.log(4) / Math.log(4), s, 4);
    assertLr((1 + Math.cos(Math.PI / 6)) / 2, s, 5);
    assertLr(0.0, s, 10);
  }

  @Test
  void constantIgnoresTheStep() {
    LrSchedule s = LrSchedule.constant(0.25);
    assertLr(0.25, s, 0);
    assertLr(0.25, s, 123456);
  }

  @Test
  void badParametersNameTheSetting() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> LrSchedule.warmupLr(0, 1, 10, "cosine"));
    assertTrue(e.getMessage().contains("warmup_type"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LrSchedule.warmupDecayLr(0, 1, 100, "linear", 50));
    assertTrue(e.getMessage().contains("total_num_steps 50"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> LrSchedule.warmupCosineLr(1, 50, 0, 100, 0, "linear"));
    assertTrue(e.getMessage().contains("warmup_num_steps 100"), e.getMessage());
  }
}
