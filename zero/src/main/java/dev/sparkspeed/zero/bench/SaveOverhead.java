package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.checkpoint.LocalCheckpointStore;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.LoopbackRing;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.engine.checkpoint.EngineCheckpoint;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures what checkpointing adds to the step time: training runs in blocks of {@code every}
 * steps, alternately without a save and with one (a save after the block's first step, committed
 * after its last, so an asynchronous write overlaps the steps between), and the mean step time of
 * each kind of block is compared. Alternating blocks in one run keeps a busy machine's drift out of
 * the ratio. On a shared machine whose step time swings, the time the training thread spends inside
 * the save calls (staging copy, waiting for the write) is the steadier figure.
 */
final class SaveOverhead {
  /**
   * Mean seconds per step of plain blocks and of saving blocks, the number of saves, and the mean
   * seconds per save the training thread spent in {@code save} and {@code commitPending}.
   */
  record Result(double plainStepS, double savingStepS, int saves, double blockingS) {
    double overhead() {
      return savingStepS / plainStepS - 1;
    }
  }

  private SaveOverhead() {}

  /**
   * Trains {@code ranks} ranks as threads over the loopback ring, each measuring with {@link
   * #measure}, saving under {@code dir/save-bench} (deleted first and after), and prints rank 0's
   * result.
   */
  static void run(
      Gpt2Config cfg,
      int b,
      int t,
      int steps,
      int warmup,
      TrainSettings s,
      int ranks,
      int every,
      boolean async,
      Path dir)
      throws Exception {
    LocalCheckpointStore store = new LocalCheckpointStore(dir.resolve("save-bench"));
    store.delete("");
    long stateBytes = 12L * Gpt2Model.table(cfg).totalElements();
    System.out.printf(
        "save overhead: %s, %d ranks, a %s save every %d steps (about %d MB of FP32 state) to %s%n",
        cfg, ranks, async ? "background" : "blocking", every, stateBytes >> 20, dir);
    List<Communicator> comms = LoopbackRing.open(ranks);
    ExecutorService pool = Executors.newFixedThreadPool(ranks, r -> new Thread(r, "bench-rank"));
    try {
      List<Future<Result>> fs = new ArrayList<>();
      for (Communicator c : comms) {
        fs.add(
            pool.submit(
                () -> {
                  try (Allocator host = new Allocator("bench");
                      CpuBackend be = new CpuBackend();
                      Gpt2Model model = new Gpt2Model(cfg, be, b, t);
                      ZeroEngine engine = new ZeroEngine(model, be, c, s);
                      EngineCheckpoint ck = new EngineCheckpoint(engine, store, 1, async)) {
                    Tensor in = Tensor.whole(host.allocate("in", DType.INT32, (long) b * t));
                    Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, (long) b * t));
                    SplittableRandom r = new SplittableRandom(42 + c.rank());
                    for (int i = 0; i < b * t; i++) {
                      in.ints().put(i, r.nextInt(cfg.vocabSize()));
                      tg.ints().put(i, r.nextInt(cfg.vocabSize()));
                    }
                    Batch batch = new Batch(in, tg);
                    for (int i = 0; i < warmup; i++) {
                      engine.step(List.of(batch));
                    }
                    // The first save allocates the staging buffers; later ones reuse them.
                    ck.save("warmup", EngineCheckpoint.Extras.none());
                    ck.commitPending();
                    Result res = measure(engine, batch, steps, every, ck);
                    in.storage().close();
                    tg.storage().close();
                    return res;
                  }
                }));
      }
      Result r0 = fs.get(0).get();
      for (Future<Result> f : fs) {
        f.get();
      }
      System.out.printf(
          Locale.ROOT,
          "RESULT plain_step_s=%.4f saving_step_s=%.4f save_overhead=%.4f saves=%d async=%s"
              + " blocking_s_per_save=%.4f blocking_per_step=%.4f%n",
          r0.plainStepS(),
          r0.savingStepS(),
          r0.overhead(),
          r0.saves(),
          async,
          r0.blockingS(),
          r0.blockingS() / (every * r0.plainStepS()));
    } finally {
      pool.shutdownNow();
      comms.forEach(Communicator::close);
      store.delete("");
    }
  }

  static Result measure(ZeroEngine engine, Batch batch, int steps, int every, EngineCheckpoint ck)
      throws IOException {
    if (every < 1 || steps < 2 * every) {
      throw new IllegalArgumentException(
          "--steps " + steps + " must be at least 2 × --save-every " + every);
    }
    double plain = 0;
    double saving = 0;
    int plainSteps = 0;
    int savingSteps = 0;
    int saves = 0;
    double blocking = 0;
    boolean rank0 = engine.communicator().rank() == 0;
    for (int block = 0; (block + 1) * every <= steps; block++) {
      boolean save = block % 2 == 1;
      long t0 = System.nanoTime();
      for (int i = 0; i < every; i++) {
        engine.step(List.of(batch));
        if (save && i == 0) {
          long s0 = System.nanoTime();
          ck.save(
              EngineCheckpoint.defaultTag(engine.globalSteps()), EngineCheckpoint.Extras.none());
          blocking += (System.nanoTime() - s0) / 1e9;
          saves++;
        }
      }
      if (save) {
        long s0 = System.nanoTime();
        ck.commitPending();
        blocking += (System.nanoTime() - s0) / 1e9;
      }
      double sec = (System.nanoTime() - t0) / 1e9;
      if (save) {
        saving += sec;
        savingSteps += every;
      } else {
        plain += sec;
        plainSteps += every;
      }
      if (rank0) {
        System.out.printf(
            "block %d (%s): %.3f s/step%n", block, save ? "with a save" : "plain", sec / every);
      }
    }
    return new Result(plain / plainSteps, saving / savingSteps, saves, blocking / saves);
  }
}
