package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Causal multi-head self-attention as GEMMs per (batch, head) with the masked softmax in Java.
 * Masked entries (key after query) hold 0 in preatt, att and dpreatt.
 */
final class CpuAttention {
  private final CpuThreads threads;
  private final RowKernels rows;

  CpuAttention(CpuThreads threads, RowKernels rows) {
    this.threads = threads;
    this.rows = rows;
  }

  static void checkHeads(int c, int nh) {
    if (nh <= 0 || c % nh != 0) {
      throw new IllegalArgumentException(
          "attention heads " + nh + " must divide the channel count " + c);
    }
  }

  void forward(Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int t, int c, int nh) {
    checkHeads(c, nh);
    int hs = c / nh;
    int c3 = 3 * c;
    long tt = (long) t * t;
    FloatBuffer o = Operands.f32(out, (long) b * t * c, "attention out");
    FloatBuffer pre = Operands.f32(preatt, b * nh * tt, "attention preatt");
    FloatBuffer a = Operands.f32(att, b * nh * tt, "attention att");
    FloatBuffer x = Operands.f32(qkv, (long) b * t * c3, "attention qkv");
    float scale = (float) (1.0 / Math.sqrt(hs));
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < nh; h++) {
        long q0 = (long) bi * t * c3 + (long) h * hs;
        // preatt (T, T) = scale · Q (T, hs) · Kᵀ (hs, T); rows of qkv are 3C apart
        OpenBlas.sgemm(
            false, true, t, t, hs, scale, x, q0, c3, x, q0 + c, c3, 0f, pre, (bi * nh + h) * tt, t);
      }
    }
    threads.forRange(b * nh * t, 16, (lo, hi) -> softmaxRows(a, pre, t, lo, hi));
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < nh; h++) {
        long q0 = (long) bi * t * c3 + (long) h * hs;
        // out (T, hs) = att (T, T) · V (T, hs), written into columns h·hs.. of out (T, C)
        OpenBlas.sgemm(
            false,
            false,
            t,
            hs,
            t,
            1f,
            a,
            (bi * nh + h) * tt,
            t,
            x,
            q0 + 2L * c,
            c3,
            0f,
            o,
            (long) bi * t * c + (long) h * hs,
            c);
      }
    }
  }

  /**
   * Row r of the (B·NH·T, T) score matrix is query t = r mod T; keys after t are masked. Rows are
   * staged through heap arrays: off-heap loops pay a check per element.
   */
  private void softmaxRows(FloatBuffer a, FloatBuffer pre, int t, int lo, int hi) {
    float[] p = new float[t];
    float[] e = new float[t];
    for (int r = lo; r < hi; r++) {
      int q = r % t;
      int row = r * t;
      pre.get(row, p, 0, t);
      rows.softmax(p, e, 0, q + 1, rows.max(p, 0, q + 1));
      Arrays.fill(e, q + 1, t, 0f);
      Arrays.fill(p, q + 1, t, 0f);
      a.put(row, e, 0, t);
      pre.put(row, p, 0, t);
    }
  }

  void backward(
      Tensor dqkv,
      Tensor dpreatt,
      Tensor datt,
      Tensor dout,
      Tensor qkv,
      Tensor att,
      int b,
      int t,
      int c,
      int nh) {
    checkHeads(c, nh);
    int hs = c / nh;
    int c3 = 3 * c;
    long tt = (long) t * t;
    FloatBuffer dx = Operands.f32(dqkv, (long) b * t * c3, "attention dqkv");
    FloatBuffer dpre = Operands.f32(dpreatt, b * nh * tt, "attention dpreatt");
    FloatBuffer da = Operands.f32(datt, b * nh * tt, "attention datt");
    FloatBuffer g = Operands.f32(dout, (long) b * t * c, "attention dout");
    FloatBuffer x = Operands.f32(qkv, (long) b * t * c3, "attention qkv");
    FloatBuffer a = Operands.f32(att, b * nh * tt, "attention att");
    float scale = (float) (1.0 / Math.sqrt(hs));
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < nh; h++) {
        long q0 = (long) bi * t * c3 + (long) h * hs;
        long g0 = (long) bi * t * c + (long) h * hs;
        long p0 = (bi * nh + h) * tt;
        // datt (T, T) = dout (T, hs) · Vᵀ (hs, T)
        OpenBlas.sgemm(false, true, t, t, hs, 1f, g, g0, c, x, q0 + 2L * c, c3, 0f, da, p0, t);
        // dV (T, hs) += attᵀ (T, T) · dout (T, hs)
        OpenBlas.sgemm(true, false, t, hs, t, 1f, a, p0, t, g, g0, c, 1f, dx, q0 + 2L * c, c3);
      }
    }
    threads.forRange(b * nh * t, 16, (lo, hi) -> softmaxBackwardRows(dpre, da, a, t, lo, hi));
    for (int bi = 0; bi < b; bi++) {
      for (int h = 0; h < nh; h++) {
        long q0 = (long) bi * t * c3 + (long) h * hs;
        long p0 = (bi * nh + h) * tt;
        // dQ (T, hs) += scale · dpreatt (T, T) · K (T, hs)
        OpenBlas.sgemm(false, false, t, hs, t, scale, dpre, p0, t, x, q0 + c, c3, 1f, dx, q0, c3);
        // dK (T, hs) += scale · dpreattᵀ (T, T) · Q (T, hs)
        OpenBlas.sgemm(true, false, t, hs, t, scale, dpre, p0, t, x, q0, c3, 1f, dx, q0 + c, c3);
      }
    }
  }

  private static void softmaxBackwardRows(
      FloatBuffer dpre, FloatBuffer da, FloatBuffer a, int t, int lo, int hi) {
    float[] aa = new float[t];
    float[] ga = new float[t];
    for (int r = lo; r < hi; r++) {
      int q = r % t;
      int row = r * t;
      a.get(row, aa, 0, t);
      da.get(row, ga, 0, t);
      double dot = 0;
      for (int k = 0; k <= q; k++) {
        dot += aa[k] * ga[k];
      }
      float d = (float) dot;
      for (int k = 0; k <= q; k++) {
        ga[k] = aa[k] * (ga[k] - d);
      }
      for (int k = q + 1; k < t; k++) {
        ga[k] = 0f;
      }
      dpre.put(row, ga, 0, t);
    }
  }
}
