package dev.sparkspeed.zero.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.tensor.Allocator;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Each rank's model-state bytes (16-bit or FP32 parameters and gradients, FP32 master weights and
 * Adam moments) against the ZeRO paper's per-rank formulas, and a steady state in which a training
 * step allocates nothing.
 */
class ModelStateMemoryTest {
  /** Large enough that shard padding (under N elements) is negligible. */
  static final Gpt2Config MODEL = Gpt2Config.of(2, 4, 128, 256, 64);

  /**
   * Bytes per parameter per rank. Mixed precision (ZeRO paper §5): 2Ψ params + 2Ψ grads + 12Ψ
   * master, m, v, with stage 1 sharding the 12Ψ, stage 2 also the grads, stage 3 everything. FP32
   * compute: the 2-byte terms become 4 and, unsharded at stage 0, the master is the parameters.
   */
  static double bytesPerParam(Precision p, int stage, int n) {
    double w = p == Precision.FP32 ? 4 : 2;
    return switch (stage) {
      case 0 -> 16;
      case 1 -> 2 * w + 12.0 / n;
      case 2 -> w + (w + 12.0) / n;
      default -> 16.0 / n;
    };
  }

  static TrainSettings settings(int stage, Precision p) {
    return ZeroEquivalenceTest.settings(stage)
        .withPrecision(
            p,
            p == Precision.FP16
                ? () -> LossScaler.dynamic(16, 1000, 2, 1, false)
                : LossScaler::none);
  }

  @Test
  void stateBytesFollowTheZeroFormulas() throws Exception {
    long psi = MODEL.parameterCount();
    for (Precision p : Precision.values()) {
      for (int n : new int[] {2, 4}) {
        for (int stage = 0; stage <= 3; stage++) {
          TrainSettings s = settings(stage, p);
          List<Long> bytes =
              RankThreads.run(
                  n,
                  (be, comm) -> {
                    try (Gpt2Model m = new Gpt2Model(MODEL, be, 1, 8);
                        ZeroEngine e = new ZeroEngine(m, be, comm, s)) {
                      return e.modelStateBytes();
                    }
                  });
          double expected = bytesPerParam(p, stage, n) * psi;
          for (int r = 0; r < n; r++) {
            double rel = Math.abs(bytes.get(r) - expected) / expected;
            assertTrue(
                rel < 0.05,
                p
                    + " stage "
                    + stage
                    + " N "
                    + n
                    + " rank "
                    + r
                    + ": "
                    + bytes.get(r)
                    + " bytes, formula "
                    + (long) expected);
          }
        }
      }
    }
  }

  @Test
  void gpt2With124MParametersHolds16BytesPerParameterAtStage0() {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-124m");
    long psi = cfg.parameterCount();
    assertEquals(124_475_904L, psi, "GPT-2 124M with the vocabulary padded to 50304");
    try (CpuBackend be = new CpuBackend();
        Gpt2Model m = new Gpt2Model(cfg, be, 1, 4);
        ZeroEngine e =
            new ZeroEngine(m, be, new SingleRankCommunicator(be), TrainSettings.simple(1e-4, 1))) {
      double perParam = (double) e.modelStateBytes() / psi;
      assertEquals(16.0, perParam, 0.8, "model-state bytes per parameter");
    }
  }

  @Test
  void modelStatesAreUnchangedByTraining() throws Exception {
    long psi = MODEL.parameterCount();
    try (CpuBackend be = new CpuBackend();
        Allocator host = new Allocator("test");
        Gpt2Model m = new Gpt2Model(MODEL, be, 2, ZeroEquivalenceTest.T);
        ZeroEngine e =
            new ZeroEngine(m, be, new SingleRankCommunicator(be), TrainSettings.simple(1e-4, 1))) {
      long before = e.modelStateBytes();
      Batch b = ZeroEquivalenceTest.gptBatch(host, 0, 4, 0);
      e.step(List.of(b));
      b.inputs().storage().close();
      b.targets().storage().close();
      assertEquals(before, e.modelStateBytes());
      assertEquals(16.0, (double) e.modelStateBytes() / psi, 0.8);
    }
  }

  @Test
  void stepsAfterTheFirstAllocateNothing() throws Exception {
    Gpt2Config tiny = Gpt2Config.preset("gpt2-tiny");
    for (Precision p : new Precision[] {Precision.FP32, Precision.BF16}) {
      for (int stage = 0; stage <= 3; stage++) {
        TrainSettings s = settings(stage, p);
        String where = p + " stage " + stage;
        RankThreads.run(
            2,
            (be, comm) -> {
              try (Allocator host = new Allocator("test");
                  Gpt2Model m = new Gpt2Model(tiny, be, ZeroEquivalenceTest.GLOBAL / 2, 16);
                  ZeroEngine e = new ZeroEngine(m, be, comm, s)) {
                List<long[]> seen = new ArrayList<>();
                for (int k = 0; k < 4; k++) {
                  Batch b = ZeroEquivalenceTest.gptBatch(host, comm.rank(), 2, k);
                  e.step(List.of(b));
                  b.inputs().storage().close();
                  b.targets().storage().close();
                  seen.add(new long[] {be.allocationCount(), be.liveBytes()});
                }
                for (int k = 1; k < 4; k++) {
                  assertEquals(
                      seen.get(0)[0],
                      seen.get(k)[0],
                      where + ": allocations after step " + (k + 1));
                  assertEquals(
                      seen.get(0)[1], seen.get(k)[1], where + ": live bytes after step " + (k + 1));
                }
                return null;
              }
            });
      }
    }
  }
}
