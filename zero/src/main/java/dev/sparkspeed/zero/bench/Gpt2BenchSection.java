package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cuda.CudaBackend;
import dev.sparkspeed.zero.comm.SingleRankCommunicator;
import dev.sparkspeed.zero.engine.Precision;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.model.Batch;
import dev.sparkspeed.zero.model.Gpt2Config;
import dev.sparkspeed.zero.model.Gpt2Model;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * Times GPT-2 training steps in BF16 (parameters and gradients in BF16, FP32 master weights and
 * AdamW, ZeRO stage 0 on one rank) on a backend whose layer GEMMs run in BF16, and reports tokens/s
 * and MFU against the device's BF16 GEMM rate measured in the same run. With the PyTorch anchor's
 * figures (measured by {@code bin/gpu-check-torch.py} just before, on the same GPU) it also reports
 * our tokens/s over PyTorch eager's and checks that both trained the same parameter count.
 */
public final class Gpt2BenchSection implements CheckSection {
  /** The MFU the issue asks of GPT-2 124M bf16 training, as a percentage. */
  static final double MFU_TARGET_PERCENT = 35;

  private static final int PROFILE_LINES = 16;
  private static final int KERNEL_LINES = 40;

  /**
   * What to time.
   *
   * @param model a {@link Gpt2Config#preset} name
   * @param batch micro-batch size B
   * @param seq sequence length T
   * @param warmup untimed steps first (cuBLAS heuristics, pool growth)
   * @param steps timed steps; the median is reported
   */
  public record Settings(String model, int batch, int seq, int warmup, int steps) {
    public Settings {
      if (batch <= 0 || seq <= 0 || warmup < 0 || steps <= 0) {
        throw new IllegalArgumentException(
            "bench batch "
                + batch
                + ", seq "
                + seq
                + ", steps "
                + steps
                + " must be positive and warmup "
                + warmup
                + " not negative");
      }
    }

    /** GPT-2 124M at B=8, T=1024: two warm-up steps, eight timed. */
    public static Settings defaults() {
      return new Settings("gpt2-124m", 8, 1024, 2, 8);
    }
  }

  /**
   * PyTorch eager's figures for the same model and batch.
   *
   * @param tokensPerSecond trained tokens per second
   * @param parameters the PyTorch model's parameter count (padded vocabulary, tied head)
   */
  public record TorchAnchor(double tokensPerSecond, long parameters) {}

  private final Settings settings;
  private final Function<Backend, Backend> mixedTwin;
  private final ToDoubleFunction<Backend> bf16GemmTflops;
  private final TorchAnchor torch;

  /**
   * @param mixedTwin opens a backend on the device under test whose layer GEMMs run in BF16; the
   *     section closes it
   * @param bf16GemmTflops the device's BF16 GEMM rate in TFLOP/s, measured on the backend under
   *     test (shared with the GEMM section, so both report one figure)
   * @param torch PyTorch eager's figures, or null when the anchor did not run
   */
  public Gpt2BenchSection(
      Settings settings,
      Function<Backend, Backend> mixedTwin,
      ToDoubleFunction<Backend> bf16GemmTflops,
      TorchAnchor torch) {
    this.settings = settings;
    this.mixedTwin = mixedTwin;
    this.bf16GemmTflops = bf16GemmTflops;
    this.torch = torch;
  }

  @Override
  public String name() {
    return "gpt2-bench";
  }

  @Override
  public List<Row> run(Backend gpu, Backend cpu) {
    Gpt2Config cfg = Gpt2Config.preset(settings.model());
    double stepSeconds;
    try (Backend mixed = mixedTwin.apply(gpu)) {
      stepSeconds = ModelFlops.median(stepTimes(cfg, mixed));
    }
    double peak = bf16GemmTflops.applyAsDouble(gpu);
    return rows(cfg, stepSeconds, peak);
  }

  /** The table rows for a measured median step time and the reference GEMM rate. */
  List<Row> rows(Gpt2Config cfg, double stepSeconds, double peakTflops) {
    long tokensPerStep = (long) settings.batch() * settings.seq();
    double tps = ModelFlops.tokensPerSecond(tokensPerStep, stepSeconds);
    double flops = ModelFlops.gpt2PerToken(cfg, settings.seq());
    String what =
        String.format(
            Locale.ROOT, "%s bf16 B=%d T=%d", settings.model(), settings.batch(), settings.seq());
    List<Row> rows = new ArrayList<>();
    rows.add(Row.figure(what + " step", stepSeconds * 1e3, "ms"));
    rows.add(Row.figure(what + " tokens/s", tps, "tokens/s"));
    rows.add(Row.figure(what + " model FLOP/s", tps * flops / 1e12, "TFLOP/s"));
    rows.add(
        Row.atLeast(
            what + " MFU vs bf16 GEMM",
            100 * ModelFlops.utilization(tps, flops, peakTflops),
            "%",
            MFU_TARGET_PERCENT));
    if (torch != null) {
      rows.add(Row.figure("PyTorch eager bf16 tokens/s", torch.tokensPerSecond(), "tokens/s"));
      rows.add(Row.atLeast("ours / PyTorch eager tokens/s", tps / torch.tokensPerSecond(), "×", 1));
      rows.add(
          Row.atMost(
              "PyTorch model parameters − ours",
              Math.abs(torch.parameters() - cfg.parameterCount()),
              "params",
              0));
    }
    return rows;
  }

  /**
   * Trains warm-up plus timed steps on one fixed random batch; returns the timed steps' seconds.
   * One more step then runs under {@link OpProfile}, whose split per backend method is printed.
   */
  private double[] stepTimes(Gpt2Config cfg, Backend device) {
    OpProfile profile = OpProfile.over(device);
    Backend be = profile.backend();
    int b = settings.batch();
    int t = settings.seq();
    TrainSettings s = TrainSettings.simple(1e-4, 1).withPrecision(Precision.BF16, LossScaler::none);
    try (Allocator host = new Allocator("gpt2-bench-host");
        HostBuffer in = host.allocate("inputs", DType.INT32, (long) b * t);
        HostBuffer tg = host.allocate("targets", DType.INT32, (long) b * t);
        Gpt2Model model = new Gpt2Model(cfg, be, b, t);
        SingleRankCommunicator comm = new SingleRankCommunicator(be);
        ZeroEngine engine = new ZeroEngine(model, be, comm, s)) {
      fillTokens(in.ints(), tg.ints(), cfg.vocabSize());
      Batch batch = new Batch(Tensor.of(in, 0, b, t), Tensor.of(tg, 0, b, t));
      double[] seconds = new double[settings.steps()];
      for (int i = 0; i < settings.warmup() + settings.steps(); i++) {
        be.synchronize();
        long t0 = System.nanoTime();
        float loss = engine.step(List.of(batch)).loss();
        be.synchronize();
        if (!Float.isFinite(loss)) {
          throw new ArithmeticException("benchmark loss is " + loss + " at step " + (i + 1));
        }
        if (i >= settings.warmup()) {
          seconds[i - settings.warmup()] = (System.nanoTime() - t0) / 1e9;
        }
      }
      if (device instanceof CudaBackend cuda) {
        cuda.timeKernels(true);
        long t0 = System.nanoTime();
        engine.step(List.of(batch));
        be.synchronize();
        System.out.printf(
            Locale.ROOT, "kernel-timed step %.2f ms wall%n", (System.nanoTime() - t0) / 1e6);
        cuda.timeKernels(false);
        cuda.kernelTimes(KERNEL_LINES).forEach(System.out::println);
      }
      profile.enable(true);
      engine.step(List.of(batch));
      profile.enable(false);
      profile.report(PROFILE_LINES).forEach(System.out::println);
      return seconds;
    }
  }

  private static void fillTokens(IntBuffer in, IntBuffer tg, int vocab) {
    SplittableRandom r = new SplittableRandom(7);
    for (int i = 0; i < in.limit(); i++) {
      in.put(i, r.nextInt(vocab));
      tg.put(i, r.nextInt(vocab));
    }
  }
}
