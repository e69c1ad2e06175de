package dev.sparkspeed.zero.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Stages 0–3 at world sizes 1, 2 and 4 reach the single-rank stage-0 parameters. */
class ZeroEquivalenceTest {
  static final int GLOBAL = 8;
  static final int T = 16;
  static final int STEPS = 20;

  static TrainSettings settings(int stage) {
    return new TrainSettings(
        stage,
        Precision.FP32,
        OptimizerSpec.adamW(1e-3, 0.01),
        LrSchedule.warmupLr(0, 1e-3, 5, "linear"),
        1.0,
        1,
        3000,
        true,
        0,
        LossScaler::none,
        3);
  }

  static Batch gptBatch(Allocator host, int slice, int slices, int step) {
    int b = GLOBAL / slices;
    Tensor in = Tensor.whole(host.allocate("in", DType.INT32, (long) b * T));
    Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, (long) b * T));
    for (int row = 0; row < b; row++) {
      SplittableRandom r = new SplittableRandom(step * 1000L + slice * b + row);
      for (int j = 0; j < T; j++) {
        in.ints().put(row * T + j, r.nextInt(256));
        tg.ints().put(row * T + j, r.nextInt(256));
      }
    }
    return new Batch(in, tg);
  }

  static Batch mlpBatch(Allocator host, int slice, int slices, int step) {
    int b = GLOBAL / slices;
    Tensor in = Tensor.whole(host.allocate("in", DType.FP32, (long) b * 6));
    Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, b));
    for (int row = 0; row < b; row++) {
      SplittableRandom r = new SplittableRandom(step * 1000L + slice * b + row);
      double sum = 0;
      for (int j = 0; j < 6; j++) {
        float x = (float) r.nextGaussian();
        in.floats().put(row * 6 + j, x);
        sum += x * x;
      }
      tg.ints().put(row, sum > 6 ? 1 : 0);
    }
    return new Batch(in, tg);
  }

  @Test
  void gpt2TinyAllStagesAndWorldSizesAgree() throws Exception {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    RankHarness.Result ref =
        RankHarness.run(
            1,
            STEPS,
            settings(0),
            (be, w) -> new Gpt2Model(cfg, be, GLOBAL / w, T),
            ZeroEquivalenceTest::gptBatch);
    assertTrue(ref.losses()[STEPS - 1] < ref.losses()[0], "training must lower the loss");
    for (int world : new int[] {1, 2, 4}) {
      for (int stage = 0; stage <= 3; stage++) {
        RankHarness.Result r =
            RankHarness.run(
                world,
                STEPS,
                settings(stage),
                (be, w) -> new Gpt2Model(cfg, be, GLOBAL / w, T),
                ZeroEquivalenceTest::gptBatch);
        double d = RankHarness.relDiff(r.params(), ref.params());
        assertTrue(d <= 1e-5, "stage " + stage + " world " + world + ": relative difference " + d);
        for (int k = 0; k < STEPS; k++) {
          assertEquals(
              ref.losses()[k],
              r.losses()[k],
              1e-4 * Math.abs(ref.losses()[k]),
              "loss at step " + k + ", stage " + stage + " world " + world);
        }
      }
    }
  }

  @Test
  void mlpAllStagesAndWorldSizesAgree() throws Exception {
    MlpConfig cfg = new MlpConfig(6, new int[] {32, 16}, 2, Activation.TANH);
    RankHarness.Result ref =
        RankHarness.run(
            1,
            STEPS,
            settings(0),
            (be, w) -> new MlpModel(cfg, be, GLOBAL / w),
            ZeroEquivalenceTest::mlpBatch);
    for (int world : new int[] {2, 4}) {
      for (int stage = 0; stage <= 3; stage++) {
        RankHarness.Result r =
            RankHarness.run(
                world,
                STEPS,
                settings(stage),
                (be, w) -> new MlpModel(cfg, be, GLOBAL / w),
                ZeroEquivalenceTest::mlpBatch);
        double d = RankHarness.relDiff(r.params(), ref.params());
        assertTrue(
            d <= 1e-5, "MLP stage " + stage + " world " + world + ": relative difference " + d);
      }
    }
  }
}
