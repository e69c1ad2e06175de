package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.TimedBackend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.Communicator;
import dev.sparkspeed.zero.comm.LoopbackRing;
import dev.sparkspeed.zero.engine.Precision;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import dev.sparkspeed.zero.train.Args;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Times GPT-2 training steps on the CPU: {@code --model gpt2-124m --batch 4 --seq 64 --steps K
 * [--ranks N --zero-stage S --precision fp32|bf16|fp16]}. Prints per-step times, then {@code RESULT
 * step_s=… tokens_per_s=… model_gflops_per_s=… gemm_s=… attention_s=… elementwise_s=… optimizer_s=…
 * model_state_bytes=…} (medians; the split is rank 0's mean per step). With several ranks they run
 * as threads of this JVM over the loopback TCP ring and share its cores.
 *
 * <p>{@code --save-every N [--async-save] [--save-dir DIR]} instead measures what checkpoints add:
 * blocks of N steps alternate between plain and saving (see {@link SaveOverhead}), and the result
 * line is {@code RESULT plain_step_s=… saving_step_s=… save_overhead=… saves=…}.
 */
public final class StepBench {
  private static final Set<String> OPTIONS =
      Set.of(
          "model",
          "batch",
          "seq",
          "steps",
          "warmup",
          "ranks",
          "zero-stage",
          "precision",
          "seed",
          "save-every",
          "async-save!",
          "save-dir");

  private StepBench() {}

  public static void main(String[] argv) throws Exception {
    Args a = new Args(argv, 0, OPTIONS);
    Gpt2Config cfg = Gpt2Config.preset(a.get("model", "gpt2-124m"));
    int b = a.getInt("batch", 4);
    int t = a.getInt("seq", 64);
    int steps = a.getInt("steps", 5);
    int warmup = a.getInt("warmup", 1);
    int ranks = a.getInt("ranks", 1);
    int stage = a.getInt("zero-stage", 0);
    Precision p = Precision.valueOf(a.get("precision", "fp32").toUpperCase(Locale.ROOT));
    TrainSettings s =
        TrainSettings.simple(1e-4, a.getInt("seed", 1))
            .withStage(stage)
            .withPrecision(p, LossScaler::none);
    int saveEvery = a.getInt("save-every", 0);
    if (saveEvery > 0) {
      Path dir =
          Path.of(
              a.get(
                  "save-dir",
                  Path.of(System.getProperty("java.io.tmpdir"), "sparkspeed-save-bench")
                      .toString()));
      SaveOverhead.run(cfg, b, t, steps, warmup, s, ranks, saveEvery, a.flag("async-save"), dir);
      return;
    }
    List<Communicator> comms = LoopbackRing.open(ranks);
    ExecutorService pool = Executors.newFixedThreadPool(ranks, r -> new Thread(r, "bench-rank"));
    try {
      List<Future<double[]>> results = new ArrayList<>();
      for (Communicator c : comms) {
        results.add(pool.submit(() -> runRank(cfg, b, t, steps, warmup, s, c)));
      }
      double[][] all = new double[ranks][];
      for (int r = 0; r < ranks; r++) {
        all[r] = results.get(r).get();
      }
      report(cfg, b, t, steps, ranks, all);
    } finally {
      pool.shutdownNow();
      comms.forEach(Communicator::close);
    }
  }

  /** Returns step times, then the four split totals, then model-state bytes. */
  private static double[] runRank(
      Gpt2Config cfg, int b, int t, int steps, int warmup, TrainSettings s, Communicator comm) {
    try (Allocator host = new Allocator("bench");
        CpuBackend cpu = new CpuBackend();
        TimedBackend be = new TimedBackend(cpu);
        Gpt2Model model = new Gpt2Model(cfg, be, b, t);
        ZeroEngine engine = new ZeroEngine(model, be, comm, s)) {
      Tensor in = Tensor.whole(host.allocate("in", DType.INT32, (long) b * t));
      Tensor tg = Tensor.whole(host.allocate("tg", DType.INT32, (long) b * t));
      SplittableRandom r = new SplittableRandom(42 + comm.rank());
      for (int i = 0; i < b * t; i++) {
        in.ints().put(i, r.nextInt(cfg.vocabSize()));
        tg.ints().put(i, r.nextInt(cfg.vocabSize()));
      }
      Batch batch = new Batch(in, tg);
      double[] out = new double[steps + 5];
      long allocs = 0;
      for (int i = 0; i < warmup + steps; i++) {
        if (i == warmup) {
          be.reset();
          allocs = be.allocationCount();
        }
        long t0 = System.nanoTime();
        float loss = engine.step(List.of(batch)).loss();
        double sec = (System.nanoTime() - t0) / 1e9;
        if (i >= warmup) {
          out[i - warmup] = sec;
        }
        if (comm.rank() == 0) {
          System.out.printf("step %d  %.3f s  loss %.4f%n", i + 1, sec, loss);
        }
      }
      if (be.allocationCount() != allocs) {
        System.out.println(
            "warning: steady-state steps allocated "
                + (be.allocationCount() - allocs)
                + " buffers");
      }
      for (int k = 0; k < 4; k++) {
        out[steps + k] = be.seconds(k) / steps;
      }
      out[steps + 4] = engine.modelStateBytes();
      in.storage().close();
      tg.storage().close();
      return out;
    }
  }

  private static void report(Gpt2Config cfg, int b, int t, int steps, int ranks, double[][] all) {
    double median = BenchArgs.median(Arrays.copyOf(all[0], steps));
    double params = Gpt2Model.table(cfg).totalElements();
    double flopsPerToken = 6 * params + 6.0 * cfg.nLayer() * cfg.nEmbd() * t;
    double tokens = (double) b * t * ranks;
    StringBuilder bytes = new StringBuilder();
    for (int r = 0; r < ranks; r++) {
      bytes.append(r == 0 ? "" : ",").append((long) all[r][steps + 4]);
    }
    System.out.printf(
        Locale.ROOT,
        "RESULT step_s=%.4f tokens_per_s=%.1f model_gflops_per_s=%.2f gemm_s=%.4f attention_s=%.4f"
            + " elementwise_s=%.4f optimizer_s=%.4f ranks=%d model_state_bytes=%s%n",
        median,
        tokens / median,
        tokens * flopsPerToken / median / 1e9,
        all[0][steps],
        all[0][steps + 1],
        all[0][steps + 2],
        all[0][steps + 3],
        ranks,
        bytes);
  }
}
