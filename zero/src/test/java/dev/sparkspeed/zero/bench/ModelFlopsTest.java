package dev.sparkspeed.zero.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import org.junit.jupiter.api.Test;

class ModelFlopsTest {

  @Test
  void gpt2SmallCountsSixFlopsPerParameterPlusCausalAttention() {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-124m");
    // wte 50304·768 + wpe 1024·768 + 12 blocks of 7,087,872 + ln_f 2·768 (padded vocabulary)
    assertEquals(124_475_904L, cfg.parameterCount());
    double expected = 6.0 * 124_475_904L + 6.0 * 12 * 768 * 1024;
    assertEquals(803_478_528.0, expected);
    assertEquals(expected, ModelFlops.gpt2PerToken(cfg, 1024));
  }

  @Test
  void agreesWithTheModelsOwnCount() {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    try (CpuBackend be = new CpuBackend();
        Gpt2Model m = new Gpt2Model(cfg, be, 2, 32)) {
      assertEquals(m.flopsPerToken(), ModelFlops.gpt2PerToken(cfg, 32));
    }
  }

  @Test
  void utilizationIsAchievedModelFlopsOverTheReferenceRate() {
    // 163,840 tokens/s · 803,478,528 FLOP/token = 131.64 TFLOP/s; against 700 TFLOP/s: 18.8%.
    double mfu = ModelFlops.utilization(163_840, 803_478_528.0, 700);
    assertEquals(163_840 * 803_478_528.0 / 700e12, mfu, 1e-15);
    assertEquals(0.18806, mfu, 1e-5);
    assertThrows(IllegalArgumentException.class, () -> ModelFlops.utilization(1, 1, Double.NaN));
    assertThrows(IllegalArgumentException.class, () -> ModelFlops.utilization(1, 1, 0));
  }

  @Test
  void tokensPerSecondAndMedian() {
    assertEquals(163_840, ModelFlops.tokensPerSecond(8 * 1024, 0.05), 1e-9);
    assertThrows(IllegalArgumentException.class, () -> ModelFlops.tokensPerSecond(8, 0));
    assertEquals(2.0, ModelFlops.median(new double[] {3, 1, 2}));
    assertEquals(2.5, ModelFlops.median(new double[] {4, 1, 3, 2}));
    assertThrows(IllegalArgumentException.class, () -> ModelFlops.median(new double[0]));
  }
}
