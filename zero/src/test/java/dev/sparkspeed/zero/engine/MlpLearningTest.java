package dev.sparkspeed.zero.engine;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.FlatWeightSource;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The MLP learns nonlinear synthetic tasks through the ZeRO engine, judged on held-out rows. */
class MlpLearningTest {
  static final int F = 4;
  static final int GLOBAL = 64;
  static final int EVAL = 1000;

  /**
   * A labelled point of two concentric 4-D shells: class 0 at radius below 1.6, class 1 between 2
   * and 3, in a uniformly random direction, each class half of the rows.
   */
  static float shells(SplittableRandom r, float[] x) {
    int label = r.nextInt(2);
    double radius = label == 0 ? r.nextDouble() * 1.6 : 2.0 + r.nextDouble();
    double norm = 0;
    for (int j = 0; j < F; j++) {
      x[j] = (float) r.nextGaussian();
      norm += x[j] * x[j];
    }
    double k = radius / Math.sqrt(norm);
    for (int j = 0; j < F; j++) {
      x[j] = (float) (x[j] * k);
    }
    return label;
  }

  /**
   * A smooth nonlinear target: sin(2·x0) + x1·x2 − 0.5·x3², with noise of standard deviation 0.05.
   */
  static float surface(SplittableRandom r, float[] x) {
    for (int j = 0; j < F; j++) {
      x[j] = (float) (r.nextDouble() * 2 - 1);
    }
    return (float) (Math.sin(2 * x[0]) + x[1] * x[2] - 0.5 * x[3] * x[3] + 0.05 * r.nextGaussian());
  }

  static Batch rows(Allocator host, MlpConfig cfg, int n, long seed) {
    Tensor in = Tensor.whole(host.allocate("in", DType.FP32, (long) n * F));
    Tensor tg = Tensor.whole(host.allocate("tg", cfg.isRegression() ? DType.FP32 : DType.INT32, n));
    SplittableRandom r = new SplittableRandom(seed);
    float[] x = new float[F];
    for (int i = 0; i < n; i++) {
      float y = cfg.isRegression() ? surface(r, x) : shells(r, x);
      in.floats().put(i * F, x);
      if (cfg.isRegression()) {
        tg.floats().put(i, y);
      } else {
        tg.ints().put(i, (int) y);
      }
    }
    return new Batch(in, tg);
  }

  static void close(Batch b) {
    b.inputs().storage().close();
    b.targets().storage().close();
  }

  /** Trains on fresh rows each step and returns rank 0's final parameters. */
  static float[] train(MlpConfig cfg, int world, int stage, int steps) throws Exception {
    TrainSettings s =
        new TrainSettings(
            stage,
            Precision.FP32,
            OptimizerSpec.adamW(1e-2, 0.0),
            LrSchedule.warmupDecayLr(0, 1e-2, 20, "linear", steps),
            1.0,
            1,
            1000,
            true,
            0,
            LossScaler::none,
            9);
    return RankThreads.run(
            world,
            (be, comm) -> {
              try (Allocator host = new Allocator("test");
                  MlpModel m = new MlpModel(cfg, be, GLOBAL / world);
                  ZeroEngine e = new ZeroEngine(m, be, comm, s)) {
                for (int k = 0; k < steps; k++) {
                  Batch b = rows(host, cfg, GLOBAL / world, k * 100L + comm.rank());
                  e.step(List.of(b));
                  close(b);
                }
                Tensor p = Tensor.whole(host.allocate("p", DType.FP32, m.table().totalElements()));
                e.copyParamsTo(p);
                float[] out = new float[p.intSize()];
                p.floats().get(out);
                p.storage().close();
                return out;
              }
            })
        .get(0);
  }

  /** Predictions (EVAL, outputs) of the trained parameters on held-out rows, and their targets. */
  static float[][] predict(MlpConfig cfg, float[] params, Batch held) {
    try (CpuBackend be = new CpuBackend();
        Allocator host = new Allocator("eval");
        MlpModel m = new MlpModel(cfg, be, EVAL)) {
      Tensor hp = Tensor.whole(host.allocate("p", DType.FP32, params.length));
      hp.floats().put(params);
      Tensor dp = be.allocate("p", DType.FP32, params.length);
      be.upload(dp, hp);
      m.forward(new FlatWeightSource(dp, null), held);
      Tensor out = Tensor.whole(host.allocate("out", DType.FP32, (long) EVAL * cfg.outputs()));
      m.predictions(out);
      float[] pred = new float[out.intSize()];
      out.floats().get(pred);
      be.free(dp);
      hp.storage().close();
      out.storage().close();
      return new float[][] {pred};
    }
  }

  @Test
  void classifiesConcentricShells() throws Exception {
    MlpConfig cfg = new MlpConfig(F, new int[] {32, 32}, 2, Activation.RELU);
    float[] params = train(cfg, 2, 3, 400);
    try (Allocator host = new Allocator("held")) {
      Batch held = rows(host, cfg, EVAL, 123_456_789L);
      float[] probs = predict(cfg, params, held)[0];
      int correct = 0;
      int ones = 0;
      for (int i = 0; i < EVAL; i++) {
        int label = held.targets().ints().get(i);
        int guess = probs[2 * i + 1] > probs[2 * i] ? 1 : 0;
        correct += guess == label ? 1 : 0;
        ones += label;
      }
      close(held);
      assertTrue(ones > 400 && ones < 600, "both classes present: " + ones);
      double acc = correct / (double) EVAL;
      assertTrue(acc > 0.95, "held-out accuracy " + acc);
    }
  }

  @Test
  void regressionFitsANonlinearSurface() throws Exception {
    MlpConfig cfg = new MlpConfig(F, new int[] {32, 32}, 1, Activation.TANH);
    float[] params = train(cfg, 1, 0, 400);
    try (Allocator host = new Allocator("held")) {
      Batch held = rows(host, cfg, EVAL, 987_654_321L);
      float[] pred = predict(cfg, params, held)[0];
      double mean = 0;
      for (int i = 0; i < EVAL; i++) {
        mean += held.targets().floats().get(i) / EVAL;
      }
      double var = 0;
      double mse = 0;
      for (int i = 0; i < EVAL; i++) {
        float y = held.targets().floats().get(i);
        var += (y - mean) * (y - mean) / EVAL;
        mse += (pred[i] - y) * (pred[i] - y) / EVAL;
      }
      close(held);
      assertTrue(mse < 0.05 * var, "held-out MSE " + mse + " vs target variance " + var);
    }
  }
}
