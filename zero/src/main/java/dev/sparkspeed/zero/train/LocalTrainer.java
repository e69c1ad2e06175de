package dev.sparkspeed.zero.train;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.model.LlmcCheckpoint;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Trains a byte-level GPT in this process on a text file (or the generated corpus), prints the loss
 * as it falls and a generated sample, and ends with {@code RESULT steps=N loss=X params_sha256=H}.
 * {@code --init-from FILE} starts from an llm.c model file instead of a fresh initialisation (its
 * shape is the model unless --model is given, which must then match); {@code --save-llmc FILE}
 * writes the trained weights in llm.c's format.
 */
public final class LocalTrainer {
  private static final Set<String> OPTIONS =
      Set.of(
          "model",
          "data",
          "steps",
          "batch",
          "seq",
          "lr",
          "seed",
          "print-every",
          "sample",
          "init-from",
          "save-llmc");

  private LocalTrainer() {}

  public static void main(String[] argv) throws IOException {
    Args a = new Args(argv, 0, OPTIONS);
    Path initFrom = a.has("init-from") ? Path.of(a.get("init-from", "")) : null;
    Gpt2Config cfg =
        initFrom != null && !a.has("model")
            ? LlmcCheckpoint.readConfig(initFrom)
            : Gpt2Config.preset(a.get("model", "gpt2-mini"));
    if (cfg.vocabSize() != 256) {
      throw new IllegalArgumentException(
          "the in-process trainer reads bytes, so it needs a model with vocab_size 256 (gpt2-tiny,"
              + " gpt2-mini, or an llm.c file saved by --save-llmc); got vocab_size "
              + cfg.vocabSize());
    }
    int steps = a.getInt("steps", 300);
    int b = a.getInt("batch", 8);
    int t = a.getInt("seq", Math.min(64, cfg.blockSize()));
    double lr = a.getDouble("lr", 3e-3);
    long seed = a.getInt("seed", 1337);
    int every = a.getInt("print-every", 25);
    byte[] text =
        a.has("data")
            ? Files.readAllBytes(Path.of(a.get("data", "")))
            : TinyCorpus.generate(200_000, seed).getBytes(StandardCharsets.UTF_8);
    if (text.length < t + 2) {
      throw new IllegalArgumentException(
          "--data has " + text.length + " bytes; need more than " + (t + 1));
    }
    TrainSettings s =
        new TrainSettings(
            0,
            dev.sparkspeed.zero.engine.Precision.FP32,
            OptimizerSpec.adamW(lr, 0.1),
            LrSchedule.warmupCosineLr(lr, steps, 0.0, Math.max(2, steps / 20), 0.1, "linear"),
            1.0,
            1,
            500_000_000L,
            true,
            100_000L,
            LossScaler::none,
            seed);
    try (Allocator host = new Allocator("trainer");
        Backend be = new CpuBackend();
        Gpt2Model model = new Gpt2Model(cfg, be, b, t);
        ZeroEngine engine = new ZeroEngine(model, be, new SingleRankCommunicator(be), s)) {
      Tensor in = Tensor.whole(host.allocate("inputs", DType.INT32, (long) b * t));
      Tensor tg = Tensor.whole(host.allocate("targets", DType.INT32, (long) b * t));
      Tensor params =
          Tensor.whole(host.allocate("export", DType.FP32, model.table().totalElements()));
      if (initFrom != null) {
        LlmcCheckpoint.read(initFrom, cfg, params);
        engine.loadParams(params);
      }
      SplittableRandom r = new SplittableRandom(seed);
      float loss = Float.NaN;
      long t0 = System.nanoTime();
      for (int step = 1; step <= steps; step++) {
        for (int row = 0; row < b; row++) {
          int start = r.nextInt(text.length - t - 1);
          for (int j = 0; j < t; j++) {
            in.ints().put(row * t + j, text[start + j] & 0xff);
            tg.ints().put(row * t + j, text[start + j + 1] & 0xff);
          }
        }
        loss = engine.step(List.of(new Batch(in, tg))).loss();
        if (step == 1 || step % every == 0 || step == steps) {
          System.out.printf(
              "step %5d/%d  loss %.4f  %.1f ms/step%n",
              step, steps, loss, (System.nanoTime() - t0) / 1e6 / step);
        }
      }
      engine.copyParamsTo(params);
      if (a.has("save-llmc")) {
        LlmcCheckpoint.write(Path.of(a.get("save-llmc", "")), cfg, params);
      }
      int[] prompt = "The ".chars().toArray();
      int[] gen = Sampler.generate(cfg, be, params, prompt, a.getInt("sample", 200), 0.8, seed, t);
      StringBuilder sb = new StringBuilder("The ");
      for (int g : gen) {
        sb.append((char) g);
      }
      System.out.println("--- sample ---");
      System.out.println(sb);
      System.out.println("--------------");
      System.out.printf(
          "RESULT steps=%d loss=%.6f params_sha256=%s%n", steps, loss, ParamHash.sha256(params));
      in.storage().close();
      tg.storage().close();
      params.storage().close();
    }
  }
}
