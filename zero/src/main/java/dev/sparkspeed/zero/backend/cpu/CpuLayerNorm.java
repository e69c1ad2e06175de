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
          // Rows staged through heap arrays: off-heap loops pay a check per element.
          float[] xr = new float[cols];
          float[] wa = new float[cols];
          float[] ba = new float[cols];
          w.get(0, wa, 0, cols);
          b.get(0, ba, 0, cols);
          for (int r = lo; r < hi; r++) {
            int x0 = r * cols;
            x.get(x0, xr, 0, cols);
            double sum = 0;
            for (int j = 0; j < cols; j++) {
              sum += xr[j];
            }
            float m = (float) (sum / cols);
            double var = 0;
            for (int j = 0; j < cols; j++) {
              double d = xr[j] - m;
              var += d * d;
            }
            float s = (float) (1.0 / Math.sqrt(var / cols + EPS));
            for (int j = 0; j < cols; j++) {
              xr[j] = (xr[j] - m) * s * wa[j] + ba[j];
            }
            o.put(x0, xr, 0, cols);
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
          int len = hi - lo;
          float[] dwa = new float[len];
          float[] dba = new float[len];
          float[] ga = new float[len];
          float[] xa = new float[len];
          dw.get(lo, dwa, 0, len);
          db.get(lo, dba, 0, len);
          for (int r = 0; r < rows; r++) {
            int x0 = r * cols;
            float m = mu.get(r);
            float s = rs.get(r);
            g.get(x0 + lo, ga, 0, len);
            x.get(x0 + lo, xa, 0, len);
            for (int j = 0; j < len; j++) {
              dwa[j] += (xa[j] - m) * s * ga[j];
              dba[j] += ga[j];
            }
          }
          dw.put(lo, dwa, 0, len);
          db.put(lo, dba, 0, len);
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
    float[] wa = new float[cols];
    float[] ga = new float[cols];
    float[] xa = new float[cols];
    float[] da = new float[cols];
    w.get(0, wa, 0, cols);
    for (int r = lo; r < hi; r++) {
      int x0 = r * cols;
      float m = mu.get(r);
      float s = rs.get(r);
      g.get(x0, ga, 0, cols);
      x.get(x0, xa, 0, cols);
      dx.get(x0, da, 0, cols);
      double dnormMean = 0;
      double dnormNormMean = 0;
      for (int j = 0; j < cols; j++) {
        float dnorm = wa[j] * ga[j];
        dnormMean += dnorm;
        dnormNormMean += dnorm * ((xa[j] - m) * s);
      }
      float a = (float) (dnormMean / cols);
      float bm = (float) (dnormNormMean / cols);
      for (int j = 0; j < cols; j++) {
        float norm = (xa[j] - m) * s;
        float dnorm = wa[j] * ga[j];
        da[j] += (dnorm - a - norm * bm) * s;
      }
      dx.put(x0, da, 0, cols);
    }
  }
}
