package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

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
    checkStep(step);
    int n = param.intSize();
    FloatBuffer p = Operands.f32(param, n, "adamW param");
    FloatBuffer g = Operands.f32(grad, n, "adamW grad");
    FloatBuffer mb = Operands.f32(m, n, "adamW m");
    FloatBuffer vb = Operands.f32(v, n, "adamW v");
    float bc1 = (float) (1.0 - Math.pow(beta1, step));
    float bc2 = (float) (1.0 - Math.pow(beta2, step));
    threads.forRange(
        n,
        CpuVectorOps.GRAIN,
        (lo, hi) ->
            update(p, g, mb, vb, lo, hi, lr, beta1, beta2, eps, weightDecay, gradScale, bc1, bc2));
  }

  /**
   * Updates [lo, hi) in chunks staged through heap arrays (see {@link CpuVectorOps#CHUNK}), so the
   * update stays bound by memory rather than by scalar arithmetic.
   */
  private static void update(
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
      float bc1,
      float bc2) {
    float[] pa = new float[CpuVectorOps.CHUNK];
    float[] ga = new float[CpuVectorOps.CHUNK];
    float[] ma = new float[CpuVectorOps.CHUNK];
    float[] va = new float[CpuVectorOps.CHUNK];
    for (int start = lo; start < hi; start += CpuVectorOps.CHUNK) {
      int len = Math.min(CpuVectorOps.CHUNK, hi - start);
      p.get(start, pa, 0, len);
      g.get(start, ga, 0, len);
      mb.get(start, ma, 0, len);
      vb.get(start, va, 0, len);
      step(pa, ga, ma, va, len, lr, beta1, beta2, eps, weightDecay, gradScale, bc1, bc2);
      p.put(start, pa, 0, len);
      mb.put(start, ma, 0, len);
      vb.put(start, va, 0, len);
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
      float bc1,
      float bc2) {
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
      p[i] = pi - lr * ((mi / bc1) / ((float) Math.sqrt(vi / bc2) + eps) + weightDecay * pi);
    }
  }
}
