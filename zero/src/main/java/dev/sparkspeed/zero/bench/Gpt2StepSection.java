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
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * One ZeRO training step of gpt2-tiny on the backend under test and on the CPU reference, from the
 * same seed and batch, compared: the loss, the gradient norm and every parameter after the AdamW
 * update. First in FP32 (the backend must not use TF32; within 1e-5), then with BF16 parameters on
 * both sides and the backend's layer GEMMs in BF16 (within 1e-2), which checks the mixed-precision
 * path the benchmark times. Parameter errors are normalized by the largest reference magnitude, as
 * in the kernel parity section. In FP32 the parameters after the step get a looser bound than the
 * loss and the gradient norm: AdamW's first step moves each parameter by lr·g/(|g| + ε), which
 * turns the last-bit differences of gradients near ε into differences of a fraction of lr.
 */
public final class Gpt2StepSection implements CheckSection {
  static final double FP32_LIMIT = 1e-5;
  static final double HALF_LIMIT = 1e-2;
  static final double FP32_STEP_LIMIT = 2e-4;
  private static final int B = 4;
  private static final int T = 64;
  private static final double LR = 1e-3;

  private final long seed;
  private final Function<Backend, Backend> mixedTwin;

  /**
   * @param seed initialisation and batch seed, the same on both sides
   * @param mixedTwin opens a backend on the device under test whose layer GEMMs run in BF16; the
   *     section closes it
   */
  public Gpt2StepSection(long seed, Function<Backend, Backend> mixedTwin) {
    this.seed = seed;
    this.mixedTwin = mixedTwin;
  }

  @Override
  public String name() {
    return "gpt2-step";
  }

  /** What one step left behind: the loss, the gradient norm, the FP32 master parameters. */
  record Outcome(float loss, double gradNorm, float[] params) {}

  @Override
  public List<Row> run(Backend gpu, Backend cpu) {
    if (cpu == null) {
      throw new IllegalStateException("the GPT-2 step comparison needs the CPU reference backend");
    }
    if (gpu instanceof CudaBackend c && c.options().allowTf32()) {
      throw new IllegalStateException(
          "the FP32 step comparison needs exact FP32 GEMMs; open the backend with allowTf32 false");
    }
    Gpt2Config cfg = Gpt2Config.preset("gpt2-tiny");
    List<Row> rows = new ArrayList<>();
    compare(
        "fp32",
        step(cfg, cpu, Precision.FP32),
        step(cfg, gpu, Precision.FP32),
        FP32_LIMIT,
        FP32_STEP_LIMIT,
        rows);
    Outcome ref16 = step(cfg, cpu, Precision.BF16);
    try (Backend mixed = mixedTwin.apply(gpu)) {
      compare("bf16 GEMMs", ref16, step(cfg, mixed, Precision.BF16), HALF_LIMIT, HALF_LIMIT, rows);
    }
    return rows;
  }

  static void compare(
      String label, Outcome ref, Outcome test, double limit, double paramLimit, List<Row> rows) {
    String p = "gpt2-tiny " + label + " ";
    rows.add(Row.atMost(p + "loss", relative(test.loss(), ref.loss()), "rel err", limit));
    rows.add(
        Row.atMost(p + "grad norm", relative(test.gradNorm(), ref.gradNorm()), "rel err", limit));
    rows.add(
        Row.atMost(
            p + "params after step",
            ParityHarness.error(ref.params(), test.params(), i -> true),
            "rel err",
            paramLimit));
  }

  /** |test − ref| / |ref|; infinite when either is not finite. */
  static double relative(double test, double ref) {
    if (!Double.isFinite(test) || !Double.isFinite(ref)) {
      return Double.POSITIVE_INFINITY;
    }
    double d = Math.abs(test - ref);
    return ref == 0 ? d : d / Math.abs(ref);
  }

  /** Builds the model on {@code be}, takes one step on the seeded batch, reads everything back. */
  Outcome step(Gpt2Config cfg, Backend be, Precision precision) {
    TrainSettings s = TrainSettings.simple(LR, seed).withPrecision(precision, LossScaler::none);
    long psi = cfg.parameterCount();
    try (Allocator host = new Allocator("gpt2-step-host");
        HostBuffer in = host.allocate("inputs", DType.INT32, (long) B * T);
        HostBuffer tg = host.allocate("targets", DType.INT32, (long) B * T);
        HostBuffer params = host.allocate("params", DType.FP32, psi);
        Gpt2Model model = new Gpt2Model(cfg, be, B, T);
        SingleRankCommunicator comm = new SingleRankCommunicator(be);
        ZeroEngine engine = new ZeroEngine(model, be, comm, s)) {
      fillTokens(in.ints(), tg.ints(), cfg.vocabSize());
      Batch batch = new Batch(Tensor.of(in, 0, B, T), Tensor.of(tg, 0, B, T));
      ZeroEngine.StepResult r = engine.step(List.of(batch));
      engine.copyParamsTo(Tensor.whole(params));
      be.synchronize();
      float[] p = new float[Math.toIntExact(psi)];
      params.floats().get(p);
      return new Outcome(r.loss(), r.gradNorm(), p);
    }
  }

  /** Random token ids; targets are the inputs shifted by one, as in language-model training. */
  private void fillTokens(IntBuffer in, IntBuffer tg, int vocab) {
    SplittableRandom r = new SplittableRandom(seed);
    int n = B * T;
    int next = r.nextInt(vocab);
    for (int i = 0; i < n; i++) {
      in.put(i, next);
      next = r.nextInt(vocab);
      tg.put(i, next);
    }
  }
}
