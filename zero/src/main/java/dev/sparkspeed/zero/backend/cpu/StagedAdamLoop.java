package dev.sparkspeed.zero.backend.cpu;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * {@link AdamLoop} through heap arrays: each chunk of {@link CpuVectorOps#CHUNK} elements is copied
 * in, updated by a loop the JIT vectorizes, and copied back, so the loop pays no per-element buffer
 * checks.
 */
final class StagedAdamLoop implements AdamLoop {
  @Override
  public Pass pass(AdamUpdate u, boolean clear) {
    return new Staged(u, clear);
  }

  private static final class Staged implements Pass {
    private final AdamUpdate u;
    private final FloatBuffer p;
    private final FloatBuffer g;
    private final FloatBuffer m;
    private final FloatBuffer v;
    private final float[] pa = new float[CpuVectorOps.CHUNK];
    private final float[] ga = new float[CpuVectorOps.CHUNK];
    private final float[] ma = new float[CpuVectorOps.CHUNK];
    private final float[] va = new float[CpuVectorOps.CHUNK];
    private final float[] zeros;
    private final float[] squares;

    Staged(AdamUpdate u, boolean clear) {
      this.u = u;
      this.p = u.p().asFloatBuffer();
      this.g = u.g().asFloatBuffer();
      this.m = u.m().asFloatBuffer();
      this.v = u.v().asFloatBuffer();
      zeros = clear ? new float[CpuVectorOps.CHUNK] : null;
      squares = clear ? new float[CpuVectorOps.CHUNK] : null;
    }

    @Override
    public double update(int lo, int hi) {
      if (squares != null) {
        Arrays.fill(squares, 0f);
      }
      for (int start = lo; start < hi; start += CpuVectorOps.CHUNK) {
        int len = Math.min(CpuVectorOps.CHUNK, hi - start);
        p.get(start, pa, 0, len);
        g.get(start, ga, 0, len);
        m.get(start, ma, 0, len);
        v.get(start, va, 0, len);
        if (zeros != null) {
          for (int i = 0; i < len; i++) {
            squares[i] += ga[i] * ga[i];
          }
          g.put(start, zeros, 0, len);
        }
        step(u, pa, ga, ma, va, 0, len);
        p.put(start, pa, 0, len);
        m.put(start, ma, 0, len);
        v.put(start, va, 0, len);
      }
      return squares == null ? 0 : CpuVectorOps.sum(squares, Math.min(CpuVectorOps.CHUNK, hi - lo));
    }
  }

  /** The update of elements [from, to) of heap arrays, in the order every loop keeps. */
  static void step(AdamUpdate u, float[] p, float[] g, float[] m, float[] v, int from, int to) {
    float beta1 = u.beta1();
    float beta2 = u.beta2();
    float oneMinusBeta1 = 1f - beta1;
    float oneMinusBeta2 = 1f - beta2;
    float gradScale = u.gradScale();
    float lr = u.lr();
    float eps = u.eps();
    float weightDecay = u.weightDecay();
    float invBc1 = u.invBc1();
    float invSqrtBc2 = u.invSqrtBc2();
    for (int i = from; i < to; i++) {
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
