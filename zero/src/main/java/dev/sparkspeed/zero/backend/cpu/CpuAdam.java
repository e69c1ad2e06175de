package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * AdamW over flat FP32 buffers, split across threads. Memory-bound (it reads param, grad, m, v and
 * writes param, m, v: 28 bytes per element), so the loop does one pass with no temporaries.
 */
final class CpuAdam {
  private final CpuThreads threads;

  CpuAdam(CpuThreads threads) {
    this.threads = threads;
  }

  /** Fails on settings no AdamW step can use. */
  static void checkStep(int step) {
    if (step < 1) {
      throw new IllegalArgumentException("adam step " + step + " must be 1 or more (1-based)");
    }
  }

  void adamW(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    Update u = Update.of(param, grad, m, v, beta1, beta2, step);
    int n = u.n();
    FloatBuffer p = u.p();
    FloatBuffer g = u.g();
    FloatBuffer mb = u.m();
    FloatBuffer vb = u.v();
    float invBc1 = u.invBc1();
    float invSqrtBc2 = u.invSqrtBc2();
    threads.forRange(
        n,
        CpuVectorOps.GRAIN,
        (lo, hi) ->
            new Staging(false)
                .update(
                    p,
                    g,
                    mb,
                    vb,
                    lo,
                    hi,
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weightDecay,
                    gradScale,
                    invBc1,
                    invSqrtBc2));
  }

  /**
   * adamW, and grad set to 0 in the same pass; returns Σ grad² as read. The sum is formed per block
   * of {@link CpuVectorOps#SUM_BLOCK} elements and the blocks added in order, as in {@link
   * CpuVectorOps#sumOfSquares}, so it does not depend on the number of threads.
   */
  double adamWAndClear(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    Update u = Update.of(param, grad, m, v, beta1, beta2, step);
    int n = u.n();
    FloatBuffer p = u.p();
    FloatBuffer g = u.g();
    FloatBuffer mb = u.m();
    FloatBuffer vb = u.v();
    float invBc1 = u.invBc1();
    float invSqrtBc2 = u.invSqrtBc2();
    int block = CpuVectorOps.SUM_BLOCK;
    int blocks = (n + block - 1) / block;
    double[] partial = new double[blocks];
    threads.forRange(
        blocks,
        Math.max(1, CpuVectorOps.GRAIN / block),
        (lo, hi) -> {
          Staging s = new Staging(true);
          for (int b = lo; b < hi; b++) {
            int start = b * block;
            partial[b] =
                s.update(
                    p,
                    g,
                    mb,
                    vb,
                    start,
                    Math.min(n, start + block),
                    lr,
                    beta1,
                    beta2,
                    eps,
                    weightDecay,
                    gradScale,
                    invBc1,
                    invSqrtBc2);
          }
        });
    double sum = 0;
    for (double x : partial) {
      sum += x;
    }
    return sum;
  }

  /**
   * One call's operands and bias corrections. The corrections are factors: m/(1 − β1^t) and √(v/(1
   * − β2^t)) = √v·(1 − β2^t)^−½ leave one square root and one division per element, the loop's
   * costliest operations.
   */
  private record Update(
      int n,
      FloatBuffer p,
      FloatBuffer g,
      FloatBuffer m,
      FloatBuffer v,
      float invBc1,
      float invSqrtBc2) {
    static Update of(
        Tensor param, Tensor grad, Tensor m, Tensor v, float beta1, float beta2, int step) {
      checkStep(step);
      int n = param.intSize();
      return new Update(
          n,
          Operands.f32(param, n, "adamW param"),
          Operands.f32(grad, n, "adamW grad"),
          Operands.f32(m, n, "adamW m"),
          Operands.f32(v, n, "adamW v"),
          (float) (1.0 / (1.0 - Math.pow(beta1, step))),
          (float) (1.0 / Math.sqrt(1.0 - Math.pow(beta2, step))));
    }
  }

  /**
   * Heap arrays one thread stages chunks through (see {@link CpuVectorOps#CHUNK}), so the update
   * stays bound by memory rather than by per-element buffer checks.
   */
  private static final class Staging {
    final float[] pa = new float[CpuVectorOps.CHUNK];
    final float[] ga = new float[CpuVectorOps.CHUNK];
    final float[] ma = new float[CpuVectorOps.CHUNK];
    final float[] va = new float[CpuVectorOps.CHUNK];
    final float[] zeros;
    final float[] squares;

    Staging(boolean clear) {
      zeros = clear ? new float[CpuVectorOps.CHUNK] : null;
      squares = clear ? new float[CpuVectorOps.CHUNK] : null;
    }

    /**
     * Updates [lo, hi); when clearing, zeroes the gradient and returns Σ grad², else 0. The squares
     * are added lane by lane into a float array, a loop the JIT vectorizes, and the lanes summed in
     * double at the end: each lane holds at most (hi − lo)/CHUNK squares, 16 per sum block.
     */
    double update(
        FloatBuffer p,
        FloatBuffer g,
        FloatBuffer mb,
        FloatBuffer vb,
        int lo,
        int hi,
        float lr,
        float beta1,
        float beta2,
        float eps,
        float weightDecay,
        float gradScale,
        float invBc1,
        float invSqrtBc2) {
      if (squares != null) {
        Arrays.fill(squares, 0f);
      }
      for (int start = lo; start < hi; start += CpuVectorOps.CHUNK) {
        int len = Math.min(CpuVectorOps.CHUNK, hi - start);
        p.get(start, pa, 0, len);
        g.get(start, ga, 0, len);
        mb.get(start, ma, 0, len);
        vb.get(start, va, 0, len);
        if (zeros != null) {
          for (int i = 0; i < len; i++) {
            squares[i] += ga[i] * ga[i];
          }
          g.put(start, zeros, 0, len);
        }
        step(
            pa, ga, ma, va, len, lr, beta1, beta2, eps, weightDecay, gradScale, invBc1, invSqrtBc2);
        p.put(start, pa, 0, len);
        mb.put(start, ma, 0, len);
        vb.put(start, va, 0, len);
      }
      return squares == null ? 0 : CpuVectorOps.sum(squares, Math.min(CpuVectorOps.CHUNK, hi - lo));
    }
  }

  private static void step(
      float[] p,
      float[] g,
      float[] m,
      float[] v,
      int len,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      float invBc1,
      float invSqrtBc2) {
    float oneMinusBeta1 = 1f - beta1;
    float oneMinusBeta2 = 1f - beta2;
    for (int i = 0; i < len; i++) {
      float gi = g[i] * gradScale;
      float mi = beta1 * m[i] + oneMinusBeta1 * gi;
      float vi = beta2 * v[i] + oneMinusBeta2 * gi * gi;
      m[i] = mi;
      v[i] = vi;
      float pi = p[i];
      // Decoupled weight decay: the parameter shrinks by lr·weightDecay·p, apart from the moments.
      p[i] =
          pi - lr * ((mi * invBc1) / ((float) Math.sqrt(vi) * invSqrtBc2 + eps) + weightDecay * pi);
    }
  }
}
