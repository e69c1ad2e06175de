package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

/** Layer normalisation over the last dimension, forward and backward, rows split across threads. */
final class CpuLayerNorm {
  /** Added to the variance before the square root, as in GPT-2. */
  static final double EPS = 1e-5;

  private final CpuThreads threads;

  CpuLayerNorm(CpuThreads threads) {
    this.threads = threads;
  }

  void forward(
      Tensor out,
      Tensor mean,
      Tensor rstd,
      Tensor in,
      Tensor weight,
      Tensor bias,
      int rows,
      int cols) {
    long n = (long) rows * cols;
    FloatBuffer o = Operands.f32(out, n, "layerNorm out");
    FloatBuffer mu = Operands.f32(mean, rows, "layerNorm mean");
    FloatBuffer rs = Operands.f32(rstd, rows, "layerNorm rstd");
    FloatBuffer x = Operands.f32(in, n, "layerNorm in");
    FloatBuffer w = Operands.f32(weight, cols, "layerNorm weight");
    FloatBuffer b = Operands.f32(bias, cols, "layerNorm bias");
    threads.forRange(
        rows,
        4,
        (lo, hi) -> {
          for (int r = lo; r < hi; r++) {
            int x0 = r * cols;
            double sum = 0;
            for (int j = 0; j < cols; j++) {
              sum += x.get(x0 + j);
            }
            float m = (float) (sum / cols);
            double var = 0;
            for (int j = 0; j < cols; j++) {
              double d = x.get(x0 + j) - m;
              var += d * d;
            }
            float s = (float) (1.0 / Math.sqrt(var / cols + EPS));
            for (int j = 0; j < cols; j++) {
              o.put(x0 + j, (x.get(x0 + j) - m) * s * w.get(j) + b.get(j));
            }
            mu.put(r, m);
            rs.put(r, s);
          }
        });
  }

  void backward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      Tensor mean,
      Tensor rstd,
      int rows,
      int cols) {
    long n = (long) rows * cols;
    FloatBuffer dx = Operands.f32(din, n, "layerNorm din");
    FloatBuffer dw = Operands.f32(dweight, cols, "layerNorm dweight");
    FloatBuffer db = Operands.f32(dbias, cols, "layerNorm dbias");
    FloatBuffer g = Operands.f32(dout, n, "layerNorm dout");
    FloatBuffer x = Operands.f32(in, n, "layerNorm in");
    FloatBuffer w = Operands.f32(weight, cols, "layerNorm weight");
    FloatBuffer mu = Operands.f32(mean, rows, "layerNorm mean");
    FloatBuffer rs = Operands.f32(rstd, rows, "layerNorm rstd");
    threads.forRange(rows, 4, (lo, hi) -> inputGrad(dx, g, x, w, mu, rs, cols, lo, hi));
    // Parameter gradients sum over rows: splitting by column keeps threads apart and the row
    // order fixed, so the sum is the same whatever the thread count.
    threads.forRange(
        cols,
        64,
        (lo, hi) -> {
          for (int r = 0; r < rows; r++) {
            int x0 = r * cols;
            float m = mu.get(r);
            float s = rs.get(r);
            for (int j = lo; j < hi; j++) {
              float gj = g.get(x0 + j);
              dw.put(j, dw.get(j) + (x.get(x0 + j) - m) * s * gj);
              db.put(j, db.get(j) + gj);
            }
          }
        });
  }

  private static void inputGrad(
      FloatBuffer dx,
      FloatBuffer g,
      FloatBuffer x,
      FloatBuffer w,
      FloatBuffer mu,
      FloatBuffer rs,
      int cols,
      int lo,
      int hi) {
    for (int r = lo; r < hi; r++) {
      int x0 = r * cols;
      float m = mu.get(r);
      float s = rs.get(r);
      double dnormMean = 0;
      double dnormNormMean = 0;
      for (int j = 0; j < cols; j++) {
        float dnorm = w.get(j) * g.get(x0 + j);
        dnormMean += dnorm;
        dnormNormMean += dnorm * ((x.get(x0 + j) - m) * s);
      }
      float a = (float) (dnormMean / cols);
      float bm = (float) (dnormNormMean / cols);
      for (int j = 0; j < cols; j++) {
        float norm = (x.get(x0 + j) - m) * s;
        float dnorm = w.get(j) * g.get(x0 + j);
        dx.put(x0 + j, dx.get(x0 + j) + (dnorm - a - norm * bm) * s);
      }
    }
  }
}
