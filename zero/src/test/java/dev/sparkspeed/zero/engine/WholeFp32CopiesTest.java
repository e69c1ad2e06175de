package dev.sparkspeed.zero.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.Tensor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * BF16 training on a backend that asks for whole FP32 working copies (as the CUDA backend does):
 * parameters widened once per step, gradients accumulated in FP32. The forward pass sees the same
 * 16-bit weights as the per-group path, so the first loss is identical; afterwards only the
 * gradients' accumulation precision differs, so the runs stay close. Runs on the CPU backend, which
 * reports the choice through a proxy.
 */
class WholeFp32CopiesTest {
  private static final int STEPS = 40;

  @Test
  void wholeCopiesTrainLikeThePerGroupPathAndAllocateNothingPerStep() throws Exception {
    try (CpuBackend cpu = new CpuBackend()) {
      float[] perGroup = train(cpu, 0);
      float[] whole = train(wholeCopies(cpu), 0);
      assertEquals(perGroup[0], whole[0], "first forward: same 16-bit weights, same loss");
      double rel = Math.abs(whole[STEPS - 1] - perGroup[STEPS - 1]) / perGroup[STEPS - 1];
      assertTrue(rel < 0.02, "final loss " + whole[STEPS - 1] + " vs " + perGroup[STEPS - 1]);
      assertTrue(
          whole[STEPS - 1] < 0.8 * whole[0], "it trains: " + whole[0] + " → " + whole[STEPS - 1]);
      float[] stage2 = train(wholeCopies(cpu), 2);
      assertEquals(whole[0], stage2[0]);
      assertTrue(Math.abs(stage2[STEPS - 1] - whole[STEPS - 1]) / whole[STEPS - 1] < 0.02);
    }
  }

  /** The CPU backend, answering true to {@link Backend#prefersWholeFp32Copies}. */
  private static Backend wholeCopies(Backend cpu) {
    return (Backend)
        Proxy.newProxyInstance(
            Backend.class.getClassLoader(),
            new Class<?>[] {Backend.class},
            (proxy, m, args) -> {
              if (m.getName().equals("prefersWholeFp32Copies")) {
                return true;
              }
              if (m.getName().equals("close")) {
                return null;
              }
              try {
                return m.invoke(cpu, args);
              } catch (InvocationTargetException e) {
                throw e.getCause();
              }
            });
  }

  private static float[] train(Backend be, int stage) {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    TrainSettings s =
        TrainSettings.simple(3e-3, 5)
            .withPrecision(Precision.BF16, LossScaler::none)
            .withStage(stage);
    float[] losses = new float[STEPS];
    try (Allocator host = new Allocator("whole-copies-test");
        Gpt2Model model = new Gpt2Model(cfg, be, 2, 16);
        SingleRankCommunicator comm = new SingleRankCommunicator(be);
        ZeroEngine engine = new ZeroEngine(model, be, comm, s)) {
      Batch batch = MixedPrecisionTest.textBatch(host, 0, 2, 0);
      Tensor inputs = batch.inputs();
      Tensor targets = batch.targets();
      long allocations = -1;
      for (int i = 0; i < STEPS; i++) {
        losses[i] = engine.step(List.of(batch)).loss();
        if (i == 0) {
          allocations = be.allocationCount();
        }
      }
      assertEquals(allocations, be.allocationCount(), "no allocation after the first step");
      inputs.storage().close();
      targets.storage().close();
    }
    return losses;
  }
}
