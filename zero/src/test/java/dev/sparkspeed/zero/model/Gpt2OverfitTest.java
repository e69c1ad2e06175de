package dev.sparkspeed.zero.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.IntBuffer;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Gpt2OverfitTest {

  @Test
  void tinyGptMemorisesOneBatch() {
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    int b = 4;
    int t = 32;
    try (Allocator host = new Allocator("test");
        CpuBackend be = new CpuBackend()) {
      Tensor in = Tensor.whole(host.allocate("in", DType.INT32, b * t));
      Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, b * t));
      SplittableRandom r = new SplittableRandom(7);
      IntBuffer ib = in.ints();
      IntBuffer tb = tg.ints();
      for (int i = 0; i < b * t; i++) {
        ib.put(i, r.nextInt(cfg.vocabSize()));
        tb.put(i, r.nextInt(cfg.vocabSize()));
      }
      Batch batch = new Batch(in, tg);
      float first;
      float last = Float.NaN;
      try (Gpt2Model model = new Gpt2Model(cfg, be, b, t);
          ZeroEngine engine =
              new ZeroEngine(
                  model, be, new SingleRankCommunicator(be), TrainSettings.simple(3e-3, 1))) {
        first = engine.step(List.of(batch)).loss();
        for (int step = 1; step < 300 && !(last < 0.1f); step++) {
          last = engine.step(List.of(batch)).loss();
        }
      }
      assertTrue(first > 5f, "initial loss near ln(256) = 5.5, got " + first);
      assertTrue(last < 0.1f, "loss after overfitting: " + last);
      in.storage().close();
      tg.storage().close();
    }
  }
}
