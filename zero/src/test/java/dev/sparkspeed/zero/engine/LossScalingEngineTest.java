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
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.function.IntUnaryOperator;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * fp16 training with injected gradient overflows: a batch whose features are scaled by 10^6 drives
 * the fp16 gradients past 65504. The engine must skip exactly those steps, move the scale as
 * DeepSpeed's dynamic scaler does, hold Adam's step count and the LR schedule on skipped steps, and
 * train on afterwards.
 */
class LossScalingEngineTest {
  static final int GLOBAL = 16;
  static final int F = 4;
  static final MlpConfig CFG = new MlpConfig(F, new int[] {16}, 2, Activation.RELU);
  static final LrSchedule SCHEDULE = LrSchedule.warmupLr(0, 1e-2, 8, "linear");

  /** Overflow pattern of the injected run ('x' = poisoned batch). */
  static final String PATTERN = "..xx...x....x...";

  /**
   * Scale after each step for 2^8, window 3, hysteresis 2, traced by DeepSpeed's rules: 2 spends
   * hysteresis, 3 halves, 7 halves (hysteresis is refilled only when the scale grows), 11 is the
   * first clean step after three clean ones and doubles, 12 spends the refilled hysteresis.
   */
  static final double[] SCALES = {
    256, 256, 256, 128, 128, 128, 128, 64, 64, 64, 64, 128, 128, 128, 128, 128
  };

  record RankRun(List<ZeroEngine.StepResult> results, int applied, long global, float[] params) {}

  static TrainSettings fp16(int stage, Supplier<LossScaler> scaler) {
    return new TrainSettings(
        stage,
        Precision.FP16,
        OptimizerSpec.adamW(1e-2, 0.01),
        SCHEDULE,
        0.0,
        1,
        100,
        true,
        0,
        scaler,
        11);
  }

  /** Rank slice of global batch {@code index}; poisoned rows have features ×10^6. */
  static Batch batch(Allocator host, int index, boolean poison, int rank, int world) {
    int b = GLOBAL / world;
    Tensor in = Tensor.whole(host.allocate("in", DType.FP32, (long) b * F));
    Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, b));
    for (int row = 0; row < b; row++) {
      SplittableRandom r = new SplittableRandom(index * 1000L + rank * b + row);
      double sum = 0;
      for (int j = 0; j < F; j++) {
        double x = r.nextGaussian();
        sum += x * x;
        in.floats().put(row * F + j, (float) (poison ? x * 1e6 : x));
      }
      tg.ints().put(row, sum > F ? 1 : 0);
    }
    return new Batch(in, tg);
  }

  /** Runs {@code steps} steps; step k uses global batch dataIndex(k), poisoned where poison(k). */
  static List<RankRun> train(
      int world, TrainSettings s, int steps, IntUnaryOperator dataIndex, IntPredicate poison)
      throws Exception {
    return RankThreads.run(
        world,
        (be, comm) -> {
          try (Allocator host = new Allocator("test-host");
              MlpModel model = new MlpModel(CFG, be, GLOBAL / world);
              ZeroEngine engine = new ZeroEngine(model, be, comm, s)) {
            List<ZeroEngine.StepResult> out = new ArrayList<>();
            for (int k = 0; k < steps; k++) {
              Batch b = batch(host, dataIndex.applyAsInt(k), poison.test(k), comm.rank(), world);
              out.add(engine.step(List.of(b)));
              b.inputs().storage().close();
              b.targets().storage().close();
            }
            Tensor p = Tensor.whole(host.allocate("p", DType.FP32, model.table().totalElements()));
            engine.copyParamsTo(p);
            float[] params = new float[p.intSize()];
            p.floats().get(params);
            p.storage().close();
            return new RankRun(out, engine.appliedSteps(), engine.globalSteps(), params);
          }
        });
  }

  @Test
  void injectedOverflowsSkipStepsAndMoveTheScale() throws Exception {
    int steps = PATTERN.length();
    int clean = (int) PATTERN.chars().filter(c -> c == '.').count();
    int[] cleanIndex = PATTERN.chars().map(c -> c).toArray();
    int[] applied = new int[clean];
    for (int k = 0, a = 0; k < steps; k++) {
      if (cleanIndex[k] == '.') {
        applied[a++] = k;
      }
    }
    for (int[] sw : new int[][] {{0, 1}, {0, 2}, {1, 2}, {2, 2}, {3, 2}}) {
      int stage = sw[0];
      int world = sw[1];
      String where = "stage " + stage + " world " + world;
      List<RankRun> runs =
          train(
              world,
              fp16(stage, () -> LossScaler.dynamic(8, 3, 2, 1, false)),
              steps,
              k -> k,
              k -> PATTERN.charAt(k) == 'x');
      for (RankRun run : runs) {
        double[] scales = new double[steps];
        StringBuilder skipped = new StringBuilder();
        for (int k = 0; k < steps; k++) {
          ZeroEngine.StepResult r = run.results().get(k);
          scales[k] = r.lossScale();
          skipped.append(r.skipped() ? 'x' : '.');
        }
        assertEquals(PATTERN, skipped.toString(), where + ": skipped steps");
        assertArrayEquals(SCALES, scales, where + ": loss scale after each step");
        assertEquals(clean, run.applied(), where + ": applied steps");
        assertEquals(steps, run.global(), where + ": global steps");
        int a = 0;
        for (int k = 0; k < steps; k++) {
          ZeroEngine.StepResult r = run.results().get(k);
          // a skipped step reports the rate the next applied step will use
          assertEquals(SCHEDULE.lr(a), r.lr(), 0.0, where + ": lr at step " + k);
          if (!r.skipped()) {
            a++;
          }
        }
      }
      // the applied steps equal a run that never saw the poisoned batches: Adam's step count and
      // the schedule did not advance on skips (a fixed scale differs only in fp16 rounding)
      List<RankRun> ref =
          train(
              world, fp16(stage, () -> LossScaler.fixed(128)), clean, a -> applied[a], a -> false);
      double d = RankHarness.relDiff(runs.get(0).params(), ref.get(0).params());
      assertTrue(d <= 1e-6, where + ": parameters differ from the clean run by " + d);
    }
  }

  @Test
  void hugeInitialScaleBacksOffThenTrains() throws Exception {
    int steps = 60;
    for (int[] sw : new int[][] {{0, 1}, {2, 2}}) {
      String where = "stage " + sw[0] + " world " + sw[1];
      RankRun run =
          train(
                  sw[1],
                  fp16(sw[0], () -> LossScaler.dynamic(40, 1000, 1, 1, false)),
                  steps,
                  k -> k,
                  k -> false)
              .get(0);
      int m = 0;
      while (m < steps && run.results().get(m).skipped()) {
        assertEquals(Math.pow(2, 39 - m), run.results().get(m).lossScale(), where + " step " + m);
        m++;
      }
      assertTrue(m >= 1 && m < 40, where + ": 2^40 must overflow fp16 gradients; skipped " + m);
      // later steps may still overflow as gradients grow near the edge; each halves the scale,
      // and with a window of 1000 a clean step never raises it
      double scale = Math.pow(2, 40 - m);
      int skips = m;
      for (int k = m; k < steps; k++) {
        ZeroEngine.StepResult r = run.results().get(k);
        if (r.skipped()) {
          scale /= 2;
          skips++;
        } else {
          assertTrue(r.gradNorm() > 0 && Double.isFinite(r.gradNorm()), where + " norm " + k);
        }
        assertEquals(scale, r.lossScale(), where + ": scale at step " + k);
      }
      assertEquals(steps - skips, run.applied(), where);
      assertTrue(run.applied() >= 25, where + ": only " + run.applied() + " steps applied");
      double first = 0;
      double last = 0;
      for (int i = 0; i < 5; i++) {
        first += run.results().get(m + i).loss() / 5;
        last += run.results().get(steps - 1 - i).loss() / 5;
      }
      assertTrue(last < 0.9 * first, where + ": mean loss " + first + " → " + last);
    }
  }
}
