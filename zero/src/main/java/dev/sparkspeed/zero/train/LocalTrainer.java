package dev.sparkspeed.zero.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.BackendSelector;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import dev.sparkspeed.zero.checkpoint.HfGpt2Weights;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
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
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Trains a byte-level GPT in this process on a text file (or the generated corpus), prints the loss
 * as it falls and a generated sample, and ends with {@code RESULT steps=N loss=X params_sha256=H}.
 *
 * <p>With {@code --output DIR} it resumes from the newest committed checkpoint there and saves
 * every {@code --save-every N} steps and at the end ({@code --keep-last K}, {@code --async-save});
 * {@code --stop-after N} ends the process after step N without a final save, as an interruption
 * would. {@code --init-from DIR} starts from Hugging Face GPT-2 weights (config.json and
 * model.safetensors), e.g. a consolidated checkpoint. {@code --init-from FILE} with an llm.c model
 * file (gpt2_*.bin) starts from it instead; {@code --save-llmc FILE} writes the trained weights in
 * llm.c's format.
 *
 * <p>{@code --device cpu|cuda|cuda:N|auto} (default auto: the GPU when CUDA is usable, else the
 * CPU, saying why) picks the backend; {@code --gpu N} picks the GPU for "cuda" and "auto".
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
          "output",
          "save-every",
          "keep-last",
          "async-save!",
          "stop-after",
          "init-from",
          "save-llmc",
          "device",
          "gpu");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Starts the line that says why "auto" trains on the CPU. */
  static final String AUTO_USES_CPU = "--device auto uses the CPU: ";

  private LocalTrainer() {}

  public static void main(String[] argv) throws IOException {
    Args a = new Args(argv, 0, OPTIONS);
    Path initFrom = a.has("init-from") ? Path.of(a.get("init-from", "")) : null;
    Gpt2Config cfg =
        initFrom != null && !a.has("model")
            ? (Files.isDirectory(initFrom)
                ? HfGpt2Weights.config(initFrom)
                : LlmcCheckpoint.readConfig(initFrom))
            : Gpt2Config.preset(a.get("model", "gpt2-mini"));
    if (cfg.vocabSize() != 256) {
      throw new IllegalArgumentException(
          "the in-process trainer reads bytes, so it needs a model with vocab_size 256 (gpt2-tiny,"
              + " gpt2-mini, or an llm.c file saved by --save-llmc); got vocab_size "
              + cfg.vocabSize());
    }
    int steps = a.getInt("steps", 300);
    int stopAfter = a.getInt("stop-after", steps);
    int b = a.getInt("batch", 8);
    int t = a.getInt("seq", Math.min(64, cfg.blockSize()));
    double lr = a.getDouble("lr", 3e-3);
    long seed = a.getInt("seed", 1337);
    int every = a.getInt("print-every", 25);
    byte[] text =
        a.has("data")
            ? Files.readAllBytes(Path.of(a.get("data", "")))
            : TinyCorpus.generate(200_000, seed).getBytes(StandardCharsets.UTF_8);
    long warmup = Math.max(2, steps / 20);
    TrainSettings s =
        new TrainSettings(
            0,
            dev.sparkspeed.zero.engine.Precision.FP32,
            OptimizerSpec.adamW(lr, 0.1),
            LrSchedule.warmupCosineLr(lr, Math.max(steps, warmup), 0.0, warmup, 0.1, "linear"),
            1.0,
            1,
            500_000_000L,
            true,
            100_000L,
            LossScaler::none,
            seed);
    try (Allocator host = new Allocator("trainer");
        Backend be = openBackend(a, reason -> System.out.println(AUTO_USES_CPU + reason));
        Gpt2Model model = new Gpt2Model(cfg, be, b, t);
        ZeroEngine engine = new ZeroEngine(model, be, new SingleRankCommunicator(be), s);
        ByteBatches data = new ByteBatches(text, b, t, host);
        TrainerCheckpoints ck =
            TrainerCheckpoints.of(a, engine, settingsJson(b, lr, steps, warmup), seed)) {
      if (initFrom != null) {
        Tensor w = loadInit(initFrom, cfg, host);
        engine.loadParams(w);
        w.storage().close();
        System.out.println("initialised from " + initFrom);
      }
      System.out.println("backend " + be.name());
      int done = ck.resume(engine);
      float loss = Float.NaN;
      long t0 = System.nanoTime();
      int last = Math.min(steps, stopAfter);
      for (int step = done + 1; step <= last; step++) {
        loss = engine.step(List.of(data.batch(ck.dataSeed(), step))).loss();
        if (step == done + 1 || step % every == 0 || step == steps) {
          System.out.printf(
              "step %5d/%d  loss %.4f  %.1f ms/step%n",
              step, steps, loss, (System.nanoTime() - t0) / 1e6 / (step - done));
        }
        if (step < stopAfter || step == steps) {
          ck.afterStep(engine, step, steps);
        }
      }
      ck.finish();
      Tensor params =
          Tensor.whole(host.allocate("export", DType.FP32, model.table().totalElements()));
      engine.copyParamsTo(params);
      if (a.has("save-llmc")) {
        LlmcCheckpoint.write(Path.of(a.get("save-llmc", "")), cfg, params);
      }
      printSample(cfg, be, params, a.getInt("sample", 200), seed, t);
      System.out.printf(
          "RESULT steps=%d loss=%.6f params_sha256=%s%n",
          Math.max(done, last), loss, ParamHash.sha256(params));
      params.storage().close();
    }
  }

  /**
   * The backend {@code --device} and {@code --gpu} name; a fallback of "auto" to the CPU is told to
   * {@code fallback} with its reason.
   *
   * @throws IllegalArgumentException for "cuda" where CUDA is unusable (naming what is missing), an
   *     unknown device, or {@code --gpu} with {@code --device cpu}
   */
  static Backend openBackend(Args a, Consumer<String> fallback) {
    String device = a.get("device", "auto");
    int gpu = a.getInt("gpu", -1);
    boolean cpu = device.trim().toLowerCase(Locale.ROOT).equals("cpu");
    if (cpu && gpu >= 0) {
      throw new IllegalArgumentException(
          "--gpu " + gpu + " needs --device cuda or auto, not --device " + device);
    }
    if (a.has("gpu") && gpu < 0) {
      throw new IllegalArgumentException("--gpu " + gpu + " must be a GPU index, 0 or more");
    }
    CudaProbe.Result probe = cpu ? new CudaProbe.Result(false, "not probed", 0) : CudaProbe.probe();
    BackendSelector.Decision d = BackendSelector.decide(device, gpu, probe);
    if (d.kind() == BackendSelector.Kind.CUDA) {
      // The in-process trainer computes in FP32, so the layer GEMMs take FP32 operands.
      return BackendSelector.openCuda(d, DType.FP32);
    }
    if (!d.fallbackReason().isEmpty()) {
      fallback.accept(d.fallbackReason());
    }
    return new CpuBackend();
  }

  /** Weights from a Hugging Face directory (config.json, model.safetensors) or an llm.c file. */
  private static Tensor loadInit(Path from, Gpt2Config cfg, Allocator host) throws IOException {
    if (Files.isDirectory(from)) {
      return HfGpt2Weights.load(from, cfg, host);
    }
    Tensor w =
        Tensor.whole(host.allocate("init", DType.FP32, Gpt2Model.table(cfg).totalElements()));
    LlmcCheckpoint.read(from, cfg, w);
    return w;
  }

  private static void printSample(
      Gpt2Config cfg, Backend be, Tensor params, int count, long seed, int t) {
    if (count <= 0) {
      return;
    }
    int[] prompt = "The ".chars().toArray();
    int[] gen = Sampler.generate(cfg, be, params, prompt, count, 0.8, seed, t);
    StringBuilder sb = new StringBuilder("The ");
    for (int g : gen) {
      sb.append((char) g);
    }
    System.out.println("--- sample ---");
    System.out.println(sb);
    System.out.println("--------------");
  }

  /** The run's settings in DeepSpeed's terms, recorded in its checkpoints. */
  private static JsonNode settingsJson(int b, double lr, int steps, long warmup) {
    ObjectNode o = JSON.createObjectNode();
    o.put("train_micro_batch_size_per_gpu", b);
    o.put("gradient_accumulation_steps", 1);
    o.put("gradient_clipping", 1.0);
    ObjectNode opt = o.putObject("optimizer").put("type", "AdamW");
    opt.putObject("params").put("lr", lr).put("weight_decay", 0.1);
    ObjectNode sch = o.putObject("scheduler").put("type", "WarmupCosineLR");
    sch.putObject("params")
        .put("total_num_steps", steps)
        .put("warmup_num_steps", warmup)
        .put("cos_min_ratio", 0.1);
    o.putObject("zero_optimization").put("stage", 0);
    return o;
  }
}
