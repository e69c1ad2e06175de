package dev.sparkspeed.zero.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Without clipping an FP32 AdamW step updates, sums the gradient norm and clears the gradients in
 * one optimizer pass, and at stage 0 skips clearing them again before the next step. Its results
 * must equal those of the separate passes, which a clipping limit too large to act selects, over
 * several steps with gradient accumulation (stale gradients would show from the second step on).
 */
class FusedOptimizerStepTest {
  private static final int STEPS = 4;
  private static final int ACCUM = 2;
  private static final int ROWS = 16;

  /** Parameters after the last step, then each step's gradient norm and loss. */
  private record Run(float[] params, double[] norms, float[] losses) {}

  private static TrainSettings settings(int stage, double clipping) {
    return new TrainSettings(
        stage,
        Precision.FP32,
        OptimizerSpec.adamW(1e-2, 0.05),
        LrSchedule.constant(1e-2),
        clipping,
        ACCUM,
        1000,
        true,
        0,
        LossScaler::none,
        5);
  }

  private static Run train(int world, int stage, double clipping) throws Exception {
    MlpConfig cfg = new MlpConfig(MlpLearningTest.F, new int[] {24}, 1, Activation.GELU);
    TrainSettings s = settings(stage, clipping);
    return RankThreads.run(
            world,
            (be, comm) -> {
              assertTrue(be.fusesAdamWAndClear(), "the CPU backend fuses the optimizer pass");
              try (Allocator host = new Allocator("test");
                  MlpModel m = new MlpModel(cfg, be, ROWS);
                  ZeroEngine e = new ZeroEngine(m, be, comm, s)) {
                double[] norms = new double[STEPS];
                float[] losses = new float[STEPS];
                for (int k = 0; k < STEPS; k++) {
                  List<Batch> micro = new ArrayList<>();
                  for (int a = 0; a < ACCUM; a++) {
                    micro.add(
                        MlpLearningTest.rows(host, cfg, ROWS, k * 31L + a * 7L + comm.rank()));
                  }
                  ZeroEngine.StepResult r = e.step(micro);
                  norms[k] = r.gradNorm();
                  losses[k] = r.loss();
                  micro.forEach(MlpLearningTest::close);
                }
                Tensor p = Tensor.whole(host.allocate("p", DType.FP32, m.table().totalElements()));
                e.copyParamsTo(p);
                float[] out = new float[p.intSize()];
                p.floats().get(out);
                p.storage().close();
                return new Run(out, norms, losses);
              }
            })
        .get(0);
  }

  @ParameterizedTest(name = "world {0}, stage {1}")
  @CsvSource({"1, 0", "2, 0", "2, 1", "2, 2", "2, 3"})
  void fusedStepMatchesSeparatePasses(int world, int stage) throws Exception {
    Run fused = train(world, stage, 0.0);
    Run separate = train(world, stage, 1e30);
    assertArrayEquals(separate.losses(), fused.losses(), "losses");
    for (int k = 0; k < STEPS; k++) {
      double ref = separate.norms()[k];
      assertTrue(ref > 0 && Double.isFinite(ref), "norm " + k + " is " + ref);
      assertEquals(ref, fused.norms()[k], 1e-6 * ref, "gradient norm of step " + k);
    }
    assertArrayEquals(separate.params(), fused.params(), "parameters after " + STEPS + " steps");
  }
}
