package dev.sparkspeed.zero.engine;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.MlpConfig;
import dev.sparkspeed.zero.model.MlpModel;
import dev.sparkspeed.zero.model.Model;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** Bad models, batches and numbers fail with messages that name the value and what to change. */
class BadInputTest {

  private static void assertMentions(Throwable e, String... parts) {
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "'" + p + "' missing from: " + e.getMessage());
    }
  }

  @Test
  void unknownPresetNamesItAndTheValidOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Gpt2Config.preset("gpt2-xxl"));
    assertMentions(e, "gpt2-xxl", "gpt2-tiny", "gpt2-mini", "gpt2-124m", "gpt2-350m");
  }

  /** Runs one step of a fresh engine on the batch built by {@code fill} and returns the failure. */
  private static Throwable stepFailure(
      Function<CpuBackend, Model> model, TrainSettings s, Function<Allocator, Batch> fill) {
    try (CpuBackend be = new CpuBackend();
        Allocator host = new Allocator("test");
        Model m = model.apply(be);
        ZeroEngine e = new ZeroEngine(m, be, new SingleRankCommunicator(be), s)) {
      Batch b = fill.apply(host);
      try {
        for (int k = 0; k < 50; k++) {
          e.step(List.of(b));
        }
        return null;
      } catch (RuntimeException ex) {
        return ex;
      } finally {
        b.inputs().storage().close();
        b.targets().storage().close();
      }
    }
  }

  private static Function<Allocator, Batch> tokens(int badAt, int badInput, int badTarget) {
    return host -> {
      Tensor in = Tensor.whole(host.allocate("in", DType.INT32, 16));
      Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, 16));
      for (int i = 0; i < 16; i++) {
        in.ints().put(i, i == badAt ? badInput : i);
        tg.ints().put(i, i == badAt ? badTarget : i + 1);
      }
      return new Batch(in, tg);
    };
  }

  @Test
  void tokenIdsOutsideTheVocabularyAreNamed() {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    Function<CpuBackend, Model> gpt = be -> new Gpt2Model(cfg, be, 1, 16);
    TrainSettings s = TrainSettings.simple(1e-3, 1);
    Throwable e = stepFailure(gpt, s, tokens(5, 300, 6));
    assertTrue(e instanceof IllegalArgumentException, String.valueOf(e));
    assertMentions(e, "token id 300", "position 5", "[0, 256)", "vocab_size");
    e = stepFailure(gpt, s, tokens(3, -2, 4));
    assertMentions(e, "token id -2");
    e = stepFailure(gpt, s, tokens(7, 7, 256));
    assertTrue(e instanceof IllegalArgumentException, String.valueOf(e));
    assertMentions(e, "target 256", "row 7", "vocabulary of 256");
  }

  private static Function<Allocator, Batch> features(float poison, int at) {
    return host -> {
      Tensor in = Tensor.whole(host.allocate("in", DType.FP32, 8 * 3));
      Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, 8));
      for (int i = 0; i < 24; i++) {
        in.floats().put(i, i == at ? poison : (float) Math.sin(i));
      }
      for (int i = 0; i < 8; i++) {
        tg.ints().put(i, i % 2);
      }
      return new Batch(in, tg);
    };
  }

  @Test
  void nonFiniteLossNamesItsCause() {
    MlpConfig cfg = new MlpConfig(3, new int[] {8}, 2, Activation.RELU);
    Function<CpuBackend, Model> mlp = be -> new MlpModel(cfg, be, 8);
    Throwable e = stepFailure(mlp, TrainSettings.simple(1e-3, 1), features(Float.NaN, 10));
    assertTrue(e instanceof ArithmeticException, String.valueOf(e));
    assertMentions(e, "loss is NaN", "step 0", "input feature 10", "NaN");

    // a huge rate without clipping drives the weights to overflow within a few steps
    TrainSettings wild =
        new TrainSettings(
            0,
            Precision.FP32,
            OptimizerSpec.adamW(1e30, 0),
            LrSchedule.constant(1e30),
            0.0,
            1,
            1000,
            true,
            0,
            LossScaler::none,
            1);
    e = stepFailure(mlp, wild, features(0.5f, 0));
    assertTrue(e instanceof ArithmeticException, String.valueOf(e));
    assertMentions(e, "diverged", "learning rate", "gradient_clipping");
  }

  @Test
  void wrongBatchShapeAndClassIdsAreNamed() {
    MlpConfig cfg = new MlpConfig(3, new int[] {8}, 2, Activation.RELU);
    Throwable e =
        stepFailure(be -> new MlpModel(cfg, be, 4), TrainSettings.simple(1e-3, 1), features(0, 0));
    assertMentions(e, "MLP expects 4×3 features and 4 targets");
    e =
        stepFailure(
            be -> new MlpModel(cfg, be, 8),
            TrainSettings.simple(1e-3, 1),
            host -> {
              Batch b = features(0, 0).apply(host);
              b.targets().ints().put(2, 5);
              return b;
            });
    assertMentions(e, "target 5", "row 2");
  }

  @Test
  void wrongMicroBatchCountNamesTheSetting() {
    Throwable e =
        stepFailure(
            be -> new MlpModel(new MlpConfig(3, new int[] {8}, 2, Activation.RELU), be, 8),
            ZeroEquivalenceTest.settings(0),
            features(0, 0));
    assertTrue(e == null, "one micro-batch for gradient_accumulation_steps 1 is valid: " + e);
    TrainSettings accum2 =
        new TrainSettings(
            0,
            Precision.FP32,
            OptimizerSpec.adamW(1e-3, 0),
            LrSchedule.constant(1e-3),
            0,
            2,
            1000,
            true,
            0,
            LossScaler::none,
            1);
    e =
        stepFailure(
            be -> new MlpModel(new MlpConfig(3, new int[] {8}, 2, Activation.RELU), be, 8),
            accum2,
            features(0, 0));
    assertMentions(e, "got 1 micro-batches", "gradient_accumulation_steps 2");
  }
}
