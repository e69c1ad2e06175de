package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.model.Gpt2Config;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The step comparison's logic on two CPU backends (the GPU side is checked by bin/gpu-check): the
 * same seed must give the same step, and a perturbed outcome must fail.
 */
class Gpt2StepSectionTest {

  @Test
  void twoBackendsThatAgreePassEveryRow() {
    Gpt2StepSection s = new Gpt2StepSection(11, gpu -> new CpuBackend());
    try (CpuBackend ref = new CpuBackend();
        CpuBackend test = new CpuBackend()) {
      List<CheckSection.Row> rows = s.run(test, ref);
      assertEquals(6, rows.size());
      for (CheckSection.Row r : rows) {
        assertTrue(r.pass(), r.toString());
      }
      assertTrue(rows.get(0).check().contains("fp32 loss"));
      assertEquals(Gpt2StepSection.FP32_LIMIT, rows.get(0).limit());
      assertEquals(Gpt2StepSection.HALF_LIMIT, rows.get(5).limit());
    }
  }

  @Test
  void aPerturbedParameterFailsTheComparison() {
    Gpt2StepSection s = new Gpt2StepSection(3, gpu -> new CpuBackend());
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    try (CpuBackend be = new CpuBackend()) {
      Gpt2StepSection.Outcome a = s.step(cfg, be, dev.sparkspeed.zero.engine.Precision.FP32);
      assertTrue(a.loss() > 5 && a.loss() < 6, "loss near ln 256: " + a.loss());
      assertTrue(a.gradNorm() > 0);
      float[] off = a.params().clone();
      off[off.length / 2] += 1e-3f;
      List<CheckSection.Row> rows = new ArrayList<>();
      Gpt2StepSection.compare(
          "fp32",
          a,
          new Gpt2StepSection.Outcome(a.loss(), a.gradNorm(), off),
          1e-5,
          Gpt2StepSection.FP32_STEP_LIMIT,
          rows);
      assertTrue(rows.get(0).pass() && rows.get(1).pass());
      assertFalse(rows.get(2).pass(), rows.get(2).toString());
    }
  }

  @Test
  void relativeErrorTreatsNonFiniteValuesAsFailures() {
    assertEquals(0.5, Gpt2StepSection.relative(3, 2));
    assertEquals(Double.POSITIVE_INFINITY, Gpt2StepSection.relative(Double.NaN, 2));
    assertEquals(Double.POSITIVE_INFINITY, Gpt2StepSection.relative(1, Double.NaN));
    assertEquals(1e-3, Gpt2StepSection.relative(1e-3, 0));
  }
}
