package dev.sparkspeed.zero.engine.checkpoint;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.LoopbackRing;
import dev.sparkspeed.zero.engine.Precision;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.Model;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * Runs small GPT-2 data-parallel ranks as threads over the loopback ring, each with its own CPU
 * backend and engine, on a global batch that does not depend on the world size (so runs at
 * different world sizes and stages train on the same data).
 */
final class TrainingRanks {
  /** Two blocks, C 32, a vocabulary of 64 padded to 128 (so padding rows are exercised). */
  static final Gpt2Config MODEL = Gpt2Config.of(2, 2, 32, 64, 16);

  static final int GLOBAL = 8;
  static final int T = 16;

  /** The body of one rank: gets its engine (already built) and a host allocator. */
  interface Body<R> {
    R run(ZeroEngine engine, Allocator host) throws Exception;
  }

  private TrainingRanks() {}

  /** AdamW with warm-up and decay (so the learning rate moves every step) and clipping. */
  static TrainSettings settings(int stage, Precision p, Supplier<LossScaler> scaler, long seed) {
    return new TrainSettings(
        stage,
        p,
        OptimizerSpec.adamW(2e-3, 0.01),
        LrSchedule.warmupDecayLr(0, 2e-3, 3, "linear", 40),
        1.0,
        1,
        3000,
        true,
        0,
        scaler,
        seed);
  }

  static TrainSettings fp32(int stage) {
    return settings(stage, Precision.FP32, LossScaler::none, 3);
  }

  /** Runs {@code body} on {@code world} ranks and returns their results in rank order. */
  static <R> List<R> run(int world, TrainSettings s, Body<R> body) throws Exception {
    return run(world, s, MODEL, body);
  }

  static <R> List<R> run(int world, TrainSettings s, Gpt2Config model, Body<R> body)
      throws Exception {
    return run(world, s, (be, w) -> new Gpt2Model(model, be, GLOBAL / w, T), body);
  }

  /** Runs {@code body} with models from {@code models} (backend, world size → model). */
  static <R> List<R> run(
      int world, TrainSettings s, BiFunction<Backend, Integer, Model> models, Body<R> body)
      throws Exception {
    List<Communicator> comms = LoopbackRing.open(world);
    ExecutorService pool = Executors.newFixedThreadPool(world, r -> new Thread(r, "test-rank"));
    try {
      List<Future<R>> fs = new ArrayList<>();
      for (Communicator c : comms) {
        fs.add(
            pool.submit(
                () -> {
                  try (Allocator host = new Allocator("test-rank");
                      CpuBackend be = new CpuBackend();
                      Model m = models.apply(be, world);
                      ZeroEngine engine = new ZeroEngine(m, be, c, s)) {
                    return body.run(engine, host);
                  }
                }));
      }
      List<R> out = new ArrayList<>();
      for (Future<R> f : fs) {
        out.add(f.get());
      }
      return out;
    } finally {
      pool.shutdownNow();
      comms.forEach(Communicator::close);
    }
  }

  /** Trains steps [from, to) on this rank's slice of each step's global batch; returns losses. */
  static float[] train(ZeroEngine engine, Allocator host, int from, int to) {
    int world = engine.communicator().worldSize();
    int rank = engine.communicator().rank();
    float[] losses = new float[to - from];
    for (int k = from; k < to; k++) {
      Batch b = batch(host, rank, world, k);
      losses[k - from] = engine.step(List.of(b)).loss();
      b.inputs().storage().close();
      b.targets().storage().close();
    }
    return losses;
  }

  /** Rows [slice·B, (slice+1)·B) of step k's global batch, B = GLOBAL / slices. */
  static Batch batch(Allocator host, int slice, int slices, int step) {
    int b = GLOBAL / slices;
    Tensor in = Tensor.whole(host.allocate("in", DType.INT32, (long) b * T));
    Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, (long) b * T));
    for (int row = 0; row < b; row++) {
      SplittableRandom r = new SplittableRandom(step * 1000L + slice * b + row);
      for (int j = 0; j < T; j++) {
        int tok = r.nextInt(64);
        in.ints().put(row * T + j, tok);
        tg.ints().put(row * T + j, (tok * 7 + 3) % 64);
      }
    }
    return new Batch(in, tg);
  }

  /** The full FP32 master parameters (a collective). */
  static float[] params(ZeroEngine engine, Allocator host) {
    Tensor t = Tensor.whole(host.allocate("params", DType.FP32, engine.state().total()));
    engine.copyParamsTo(t);
    float[] p = new float[t.intSize()];
    t.floats().get(p);
    t.storage().close();
    return p;
  }

  /** max |a − b| / max |b|. */
  static double relDiff(float[] a, float[] b) {
    double num = 0;
    double den = 0;
    for (int i = 0; i < a.length; i++) {
      num = Math.max(num, Math.abs(a[i] - b[i]));
      den = Math.max(den, Math.abs(b[i]));
    }
    return num / den;
  }
}
