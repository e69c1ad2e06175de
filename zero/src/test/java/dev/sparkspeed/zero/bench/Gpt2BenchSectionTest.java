package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.model.Gpt2Config;
import java.util.List;
import org.junit.jupiter.api.Test;

class Gpt2BenchSectionTest {

  private static Gpt2BenchSection section(Gpt2BenchSection.TorchAnchor torch) {
    return new Gpt2BenchSection(
        Gpt2BenchSection.Settings.defaults(), gpu -> new CpuBackend(), gpu -> 700, torch);
  }

  @Test
  void rowsCarryTokensPerSecondAndMfuAgainstTheGemmRate() {
    List<CheckSection.Row> rows = section(null).rows(Gpt2Config.preset("gpt2-124m"), 0.05, 700);
    assertEquals(4, rows.size());
    assertEquals(50, rows.get(0).value(), 1e-9); // ms
    assertEquals(163_840, rows.get(1).value(), 1e-6); // 8·1024 tokens in 50 ms
    assertEquals(163_840 * 803_478_528.0 / 1e12, rows.get(2).value(), 1e-9);
    CheckSection.Row mfu = rows.get(3);
    assertEquals(18.806, mfu.value(), 1e-3);
    assertEquals(CheckSection.Bound.AT_LEAST, mfu.bound());
    assertEquals(Gpt2BenchSection.MFU_TARGET_PERCENT, mfu.limit());
    assertFalse(mfu.pass(), "18.8% is below the 35% target");
    assertTrue(section(null).rows(Gpt2Config.preset("gpt2-124m"), 0.025, 700).get(3).pass());
  }

  @Test
  void theTorchAnchorAddsTheRatioAndTheParameterCheck() {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-124m");
    List<CheckSection.Row> rows =
        section(new Gpt2BenchSection.TorchAnchor(200_000, cfg.parameterCount()))
            .rows(cfg, 0.05, 700);
    assertEquals(7, rows.size());
    CheckSection.Row ratio = rows.get(5);
    assertEquals(163_840 / 200_000.0, ratio.value(), 1e-12);
    assertFalse(ratio.pass(), "slower than PyTorch fails");
    assertTrue(rows.get(6).pass());
    List<CheckSection.Row> other =
        section(new Gpt2BenchSection.TorchAnchor(100_000, cfg.parameterCount() + 768))
            .rows(cfg, 0.05, 700);
    assertTrue(other.get(5).pass());
    assertEquals(768, other.get(6).value());
    assertFalse(other.get(6).pass(), "a different model fails");
  }

  @Test
  void runsRealStepsOnAnyBackend() {
    Gpt2BenchSection s =
        new Gpt2BenchSection(
            new Gpt2BenchSection.Settings("gpt2-tiny", 2, 32, 1, 2),
            gpu -> new CpuBackend(),
            gpu -> 1e-3,
            null);
    try (CpuBackend gpu = new CpuBackend()) {
      List<CheckSection.Row> rows = s.run(gpu, null);
      assertTrue(rows.get(0).value() > 0, rows.toString());
      assertEquals(2 * 32 / (rows.get(0).value() / 1e3), rows.get(1).value(), 1e-6);
      assertEquals(0, gpu.liveBytes(), "the section's own backend held the model");
    }
  }

  @Test
  void settingsAreValidated() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new Gpt2BenchSection.Settings("gpt2-124m", 0, 1024, 1, 1));
    assertThrows(
        IllegalArgumentException.class,
        () -> new Gpt2BenchSection.Settings("gpt2-124m", 8, 1024, 1, 0));
  }
}
