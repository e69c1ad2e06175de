package dev.sparkspeed.zero.bench;

import static dev.sparkspeed.zero.tensor.DType.BF16;
import static dev.sparkspeed.zero.tensor.DType.FP16;
import static dev.sparkspeed.zero.tensor.DType.FP32;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cuda.CudaBackend;
import dev.sparkspeed.zero.bench.ParityHarness.Twin;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Runs every {@link Backend} kernel on both backends with the same fresh random inputs and reports
 * the normalized max error of each output: FP32 within 1e-5, 16-bit paths within 1e-2, dtype
 * conversions bit for bit. Backward kernels start from non-zero gradients, so accumulation (rather
 * than overwrite) is checked too.
 */
public final class KernelParitySection implements CheckSection {
  static final double FP32_LIMIT = 1e-5;
  static final double HALF_LIMIT = 1e-2;

  private static final int B = 4;
  private static final int T = 64;
  private static final int C = 128;
  private static final int NH = 4;
  private static final int V = 1000;
  private static final int VP = 1024;
  private static final int ROWS = B * T;

  private final long seed;

  public KernelParitySection(long seed) {
    this.seed = seed;
  }

  @Override
  public String name() {
    return "parity";
  }

  @Override
  public List<Row> run(Backend gpu, Backend cpu) {
    if (cpu == null) {
      throw new IllegalStateException("parity needs the CPU reference backend");
    }
    List<Row> rows = new ArrayList<>();
    try (ParityHarness h = new ParityHarness(cpu, gpu, seed)) {
      elementwise(h, cpu, gpu, rows);
      casts(h, rows);
      gemms(h, cpu, gpu, rows);
      layers(h, rows);
      attention(h, rows);
      losses(h, rows);
      adam(h, rows);
    }
    if (gpu instanceof CudaBackend cuda) {
      try (Backend twin = CudaBackend.open(cuda.options().withLayerGemm(BF16));
          ParityHarness h = new ParityHarness(cpu, twin, seed + 1)) {
        halfLayers(h, rows);
      }
    }
    return rows;
  }

  /**
   * The layer paths that run only with 16-bit layer GEMMs: operands rounded to BF16 (wide casts),
   * the bias added after the GEMM, and attention whose scores are stored in 16 bits (wide masked
   * softmax); against the CPU's FP32 layers.
   */
  private static void halfLayers(ParityHarness h, List<Row> rows) {
    double[] lin = linearErrors(h, h.uniform(FP32, -2, 2, ROWS, C), 3 * C);
    rows.add(half("linearForward", lin[0]));
    rows.add(half("linearBackward", lin[1]));
    double[] att = attentionErrors(h, B, T, C, NH, false);
    rows.add(half("attentionForward", att[0]));
    rows.add(half("attentionBackward", att[1]));
    // Head size 64 and T a multiple of 64: the fused attention kernels.
    double[] fused = attentionErrors(h, 2, 128, 256, 4, false);
    rows.add(half("attentionForward fused", fused[0]));
    rows.add(half("attentionBackward fused", fused[1]));
  }

  private static Row half(String check, double err) {
    return Row.atMost(check + " bf16 GEMMs", err, "rel err", HALF_LIMIT);
  }

  /** Runs op on both sides: first on the reference, then on the backend under test. */
  private static void both(Consumer<Side> op) {
    op.accept(Side.REF);
    op.accept(Side.TEST);
  }

  private enum Side {
    REF,
    TEST;

    Tensor of(Twin t) {
      return t == null ? null : this == REF ? t.ref() : t.test();
    }
  }

  private static double worst(ParityHarness h, Twin... outputs) {
    double e = 0;
    for (Twin t : outputs) {
      e = Math.max(e, h.error(t));
    }
    return e;
  }

  private static Row fp32(String check, double err) {
    return Row.atMost(check + " fp32", err, "rel err", FP32_LIMIT);
  }

  private static void elementwise(ParityHarness h, Backend cpu, Backend gpu, List<Row> rows) {
    Twin a = h.uniform(FP32, -1, 1, 4099);
    both(s -> (s == Side.REF ? cpu : gpu).fill(s.of(a), 0.75f));
    rows.add(fp32("fill", h.error(a)));
    Twin a16 = h.uniform(BF16, -1, 1, 4099);
    both(s -> (s == Side.REF ? cpu : gpu).fill(s.of(a16), 0.3f));
    rows.add(Row.atMost("fill bf16", h.error(a16), "rel err", 0));
    Twin x = h.uniform(FP32, -1, 1, 4099);
    Twin y = h.uniform(FP32, -1, 1, 4099);
    both(s -> (s == Side.REF ? cpu : gpu).scale(s.of(x), -1.7f));
    rows.add(fp32("scale", h.error(x)));
    both(s -> (s == Side.REF ? cpu : gpu).axpy(s.of(y), 0.3f, s.of(x)));
    rows.add(fp32("axpy", h.error(y)));
    for (DType d : new DType[] {FP32, BF16}) {
      Twin big = h.uniform(d, -3, 3, 100_003);
      double r = cpu.sumOfSquares(big.ref());
      double g = gpu.sumOfSquares(big.test());
      rows.add(
          Row.atMost(
              "sumOfSquares " + d.name().toLowerCase(),
              Math.abs(g - r) / r,
              "rel err",
              FP32_LIMIT));
    }
    Twin finite = h.uniform(FP32, -1, 1, 5000);
    Twin nan = h.constant(FP32, Float.NaN, 5000);
    Twin inf = h.constant(BF16, Float.POSITIVE_INFINITY, 5000);
    boolean agree =
        gpu.allFinite(finite.test()) == cpu.allFinite(finite.ref())
            && gpu.allFinite(finite.test())
            && !gpu.allFinite(nan.test())
            && !gpu.allFinite(inf.test())
            && !cpu.allFinite(nan.ref());
    rows.add(Row.atMost("allFinite fp32/bf16", agree ? 0 : 1, "mismatches", 0));
  }

  private static void casts(ParityHarness h, List<Row> rows) {
    DType[][] pairs = {{FP32, BF16}, {FP32, FP16}, {BF16, FP32}, {FP16, FP32}, {BF16, FP16}};
    for (DType[] p : pairs) {
      Twin src = h.uniform(p[0], -60000, 60000, 8191);
      Twin dst = h.constant(p[1], 0, 8191);
      both(s -> backendOf(h, s).copy(s.of(dst), s.of(src)));
      rows.add(Row.atMost("copy " + p[0] + "→" + p[1], h.error(dst), "rel err", 0));
    }
  }

  private static Backend backendOf(ParityHarness h, Side s) {
    return s == Side.REF ? h.refBackend() : h.testBackend();
  }

  private static void gemms(ParityHarness h, Backend cpu, Backend gpu, List<Row> rows) {
    int m = 127, n = 65, k = 96;
    for (boolean ta : new boolean[] {false, true}) {
      for (boolean tb : new boolean[] {false, true}) {
        int lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
        Twin a = h.uniform(FP32, -1, 1, (ta ? k : m) * lda);
        Twin b = h.uniform(FP32, -1, 1, (tb ? n : k) * ldb);
        Twin c = h.uniform(FP32, -1, 1, m * ldc);
        both(
            s ->
                backendOf(h, s)
                    .gemm(ta, tb, m, n, k, 0.7f, s.of(a), lda, s.of(b), ldb, 0.4f, s.of(c), ldc));
        rows.add(fp32("gemm " + (ta ? "T" : "N") + (tb ? "T" : "N"), h.error(c)));
      }
    }
    int batch = 3;
    Twin a = h.uniform(FP32, -1, 1, batch * m * k);
    Twin b = h.uniform(FP32, -1, 1, batch * n * k);
    Twin c = h.uniform(FP32, -1, 1, batch * m * n);
    both(
        s ->
            backendOf(h, s)
                .gemmStridedBatched(
                    false,
                    true,
                    m,
                    n,
                    k,
                    1f,
                    s.of(a),
                    k,
                    (long) m * k,
                    s.of(b),
                    k,
                    (long) n * k,
                    1f,
                    s.of(c),
                    n,
                    (long) m * n,
                    batch));
    rows.add(fp32("gemmStridedBatched NT", h.error(c)));
    // 16-bit inputs on the GPU against FP32 on the CPU over the same (already rounded) values
    // (the CPU backend's GEMM takes FP32 only).
    DType[] halves = gpu instanceof CudaBackend ? new DType[] {BF16, FP16} : new DType[0];
    for (DType half : halves) {
      Twin a16 = h.uniform(half, -1, 1, m * k);
      Twin b16 = h.uniform(half, -1, 1, n * k);
      Twin a32 = h.constant(FP32, 0, m * k);
      Twin b32 = h.constant(FP32, 0, n * k);
      Twin out = h.constant(FP32, 0, m * n);
      cpu.copy(a32.ref(), a16.ref());
      cpu.copy(b32.ref(), b16.ref());
      cpu.gemm(false, true, m, n, k, 1f, a32.ref(), k, b32.ref(), k, 0f, out.ref(), n);
      gpu.gemm(false, true, m, n, k, 1f, a16.test(), k, b16.test(), k, 0f, out.test(), n);
      rows.add(
          Row.atMost(
              "gemm NT " + half.name().toLowerCase() + "→fp32",
              h.error(out),
              "rel err",
              HALF_LIMIT));
    }
  }

  private static void layers(ParityHarness h, List<Row> rows) {
    Twin tokens = h.ints(V, B, T);
    Twin wte = h.uniform(FP32, -1, 1, V, C);
    Twin wpe = h.uniform(FP32, -1, 1, T, C);
    Twin enc = h.constant(FP32, 0, B, T, C);
    both(
        s ->
            backendOf(h, s).encoderForward(s.of(enc), s.of(tokens), s.of(wte), s.of(wpe), B, T, C));
    rows.add(fp32("encoderForward", h.error(enc)));
    Twin dwte = h.uniform(FP32, -1, 1, V, C);
    Twin dwpe = h.uniform(FP32, -1, 1, T, C);
    Twin dout = h.uniform(FP32, -1, 1, B, T, C);
    both(
        s ->
            backendOf(h, s)
                .encoderBackward(s.of(dwte), s.of(dwpe), s.of(dout), s.of(tokens), B, T, C));
    rows.add(fp32("encoderBackward", worst(h, dwte, dwpe)));

    Twin in = h.uniform(FP32, -2, 2, ROWS, C);
    Twin w = h.uniform(FP32, 0.5f, 1.5f, C);
    Twin bias = h.uniform(FP32, -0.5f, 0.5f, C);
    Twin out = h.constant(FP32, 0, ROWS, C);
    Twin mean = h.constant(FP32, 0, ROWS);
    Twin rstd = h.constant(FP32, 0, ROWS);
    both(
        s ->
            backendOf(h, s)
                .layerNormForward(
                    s.of(out), s.of(mean), s.of(rstd), s.of(in), s.of(w), s.of(bias), ROWS, C));
    rows.add(fp32("layerNormForward", worst(h, out, mean, rstd)));
    Twin din = h.uniform(FP32, -1, 1, ROWS, C);
    Twin dw = h.uniform(FP32, -1, 1, C);
    Twin db = h.uniform(FP32, -1, 1, C);
    Twin dy = h.uniform(FP32, -1, 1, ROWS, C);
    both(
        s ->
            backendOf(h, s)
                .layerNormBackward(
                    s.of(din),
                    s.of(dw),
                    s.of(db),
                    s.of(dy),
                    s.of(in),
                    s.of(w),
                    s.of(mean),
                    s.of(rstd),
                    ROWS,
                    C));
    rows.add(fp32("layerNormBackward", worst(h, din, dw, db)));

    double[] lin = linearErrors(h, in, 3 * C);
    rows.add(fp32("linearForward", lin[0]));
    rows.add(fp32("linearBackward", lin[1]));

    int n = ROWS * C;
    for (Activation f : Activation.values()) {
      Twin x = h.uniform(FP32, -4, 4, n);
      Twin y = h.constant(FP32, 0, n);
      Twin dx = h.uniform(FP32, -1, 1, n);
      Twin g = h.uniform(FP32, -1, 1, n);
      both(s -> backendOf(h, s).activationForward(f, s.of(y), s.of(x), n));
      both(s -> backendOf(h, s).activationBackward(f, s.of(dx), s.of(x), s.of(g), n));
      rows.add(fp32("activation " + f.name().toLowerCase() + " fwd+bwd", worst(h, y, dx)));
    }
    Twin ra = h.uniform(FP32, -1, 1, n);
    Twin rb = h.uniform(FP32, -1, 1, n);
    Twin ro = h.constant(FP32, 0, n);
    both(s -> backendOf(h, s).residualForward(s.of(ro), s.of(ra), s.of(rb), n));
    both(s -> backendOf(h, s).residualBackward(s.of(ra), s.of(rb), s.of(ro), n));
    rows.add(fp32("residual fwd+bwd", worst(h, ro, ra, rb)));
  }

  private static void attention(ParityHarness h, List<Row> rows) {
    double[] e = attentionErrors(h, B, T, C, NH, true);
    rows.add(fp32("attentionForward", e[0]));
    rows.add(fp32("attentionBackward", e[1]));
  }

  /**
   * linearForward (with a bias) then linearBackward of a (ROWS, C) input to outDim outputs on both
   * sides; returns the forward's and the backward's worst relative errors.
   */
  private static double[] linearErrors(ParityHarness h, Twin in, int outDim) {
    Twin w = h.uniform(FP32, -0.1f, 0.1f, outDim, C);
    Twin bias = h.uniform(FP32, -0.1f, 0.1f, outDim);
    Twin out = h.constant(FP32, 0, ROWS, outDim);
    both(
        s ->
            backendOf(h, s)
                .linearForward(s.of(out), s.of(in), s.of(w), s.of(bias), ROWS, C, outDim));
    Twin din = h.uniform(FP32, -1, 1, ROWS, C);
    Twin dw = h.uniform(FP32, -1, 1, outDim, C);
    Twin db = h.uniform(FP32, -1, 1, outDim);
    Twin dout = h.uniform(FP32, -1, 1, ROWS, outDim);
    both(
        s ->
            backendOf(h, s)
                .linearBackward(
                    s.of(din), s.of(dw), s.of(db), s.of(dout), s.of(in), s.of(w), ROWS, C, outDim));
    return new double[] {h.error(out), worst(h, din, dw, db)};
  }

  /**
   * Causal attention forward and backward at (b, t, c, nh) on both sides; returns the forward's and
   * the backward's worst relative errors. With {@code scores} the forward's probabilities and
   * (causal) pre-softmax scores count too: only the FP32 path keeps them as FP32 matrices.
   */
  private static double[] attentionErrors(
      ParityHarness h, int b, int t, int c, int nh, boolean scores) {
    Twin qkv = h.uniform(FP32, -1, 1, b, t, 3 * c);
    Twin out = h.constant(FP32, 0, b, t, c);
    Twin preatt = h.constant(FP32, 0, b, nh, t, t);
    Twin att = h.constant(FP32, 0, b, nh, t, t);
    both(
        s ->
            backendOf(h, s)
                .attentionForward(s.of(out), s.of(preatt), s.of(att), s.of(qkv), b, t, c, nh));
    double fwd = h.error(out);
    if (scores) {
      // Scores above the diagonal are masked: only the causal part of preatt is defined.
      fwd = Math.max(fwd, Math.max(h.error(att), h.error(preatt, i -> i % t <= (i / t) % t)));
    }
    Twin dqkv = h.uniform(FP32, -1, 1, b, t, 3 * c);
    Twin dpre = h.constant(FP32, 0, b, nh, t, t);
    Twin datt = h.constant(FP32, 0, b, nh, t, t);
    Twin dout = h.uniform(FP32, -1, 1, b, t, c);
    both(
        s ->
            backendOf(h, s)
                .attentionBackward(
                    s.of(dqkv),
                    s.of(dpre),
                    s.of(datt),
                    s.of(dout),
                    s.of(qkv),
                    s.of(att),
                    b,
                    t,
                    c,
                    nh));
    return new double[] {fwd, h.error(dqkv)};
  }

  private static void losses(ParityHarness h, List<Row> rows) {
    int ignore = -100;
    Twin logits = h.uniform(FP32, -5, 5, ROWS, VP);
    Twin targets = h.ints(V, ROWS);
    h.setInt(targets, 3, ignore);
    Twin loss = h.constant(FP32, 0, ROWS);
    Twin probs = h.constant(FP32, 0, ROWS, VP);
    both(
        s ->
            backendOf(h, s)
                .crossEntropyForward(
                    s.of(loss), s.of(probs), s.of(logits), s.of(targets), ROWS, V, VP, ignore));
    rows.add(fp32("crossEntropyForward", worst(h, loss, probs)));
    Twin dlogits = h.uniform(FP32, -1, 1, ROWS, VP);
    both(
        s ->
            backendOf(h, s)
                .crossEntropyBackward(
                    s.of(dlogits), s.of(probs), s.of(targets), 1f / ROWS, ROWS, V, VP, ignore));
    rows.add(fp32("crossEntropyBackward", h.error(dlogits)));

    Twin pred = h.uniform(FP32, -1, 1, ROWS);
    Twin target = h.uniform(FP32, -1, 1, ROWS);
    Twin ml = h.constant(FP32, 0, ROWS);
    Twin dpred = h.uniform(FP32, -1, 1, ROWS);
    both(s -> backendOf(h, s).mseForward(s.of(ml), s.of(pred), s.of(target), ROWS));
    both(s -> backendOf(h, s).mseBackward(s.of(dpred), s.of(pred), s.of(target), 0.5f, ROWS));
    rows.add(fp32("mse fwd+bwd", worst(h, ml, dpred)));
  }

  private static void adam(ParityHarness h, List<Row> rows) {
    int n = 100_003;
    Twin p = h.uniform(FP32, -1, 1, n);
    Twin g = h.uniform(FP32, -1, 1, n);
    Twin m = h.uniform(FP32, -0.1f, 0.1f, n);
    Twin v = h.uniform(FP32, 0, 0.01f, n);
    both(
        s ->
            backendOf(h, s)
                .adamW(
                    s.of(p), s.of(g), s.of(m), s.of(v), 1e-3f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.5f, 3));
    rows.add(fp32("adamW", worst(h, p, m, v)));
  }
}
