package dev.sparkspeed.zero.backend.cpu;

import static dev.sparkspeed.zero.backend.cpu.RowKernels.BLOCK;
import static dev.sparkspeed.zero.backend.cpu.RowKernels.LANES;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * {@link LayerNormRows} as plain loops over rows staged through heap arrays (off-heap loops pay a
 * check per element): the reference for every other implementation.
 */
final class ScalarLayerNormRows implements LayerNormRows {
  @Override
  public void forward(
      ByteBuffer out,
      ByteBuffer mean,
      ByteBuffer rstd,
      ByteBuffer in,
      ByteBuffer weight,
      ByteBuffer bias,
      int cols,
      int lo,
      int hi) {
    FloatBuffer o = out.asFloatBuffer();
    FloatBuffer x = in.asFloatBuffer();
    float[] xr = new float[cols];
    float[] wa = new float[cols];
    float[] ba = new float[cols];
    float[] lanes = new float[LANES];
    weight.asFloatBuffer().get(0, wa, 0, cols);
    bias.asFloatBuffer().get(0, ba, 0, cols);
    for (int r = lo; r < hi; r++) {
      int x0 = r * cols;
      x.get(x0, xr, 0, cols);
      float m = (float) (sum(xr, cols, lanes) / cols);
      float s = (float) (1.0 / Math.sqrt(squares(xr, cols, m, lanes) / cols + CpuLayerNorm.EPS));
      for (int j = 0; j < cols; j++) {
        xr[j] = (xr[j] - m) * s * wa[j] + ba[j];
      }
      o.put(x0, xr, 0, cols);
      mean.putFloat(r * Float.BYTES, m);
      rstd.putFloat(r * Float.BYTES, s);
    }
  }

  /** Σ a[0, n) in the blocked, interleaved order of {@link LayerNormRows}. */
  private static double sum(float[] a, int n, float[] lanes) {
    double sum = 0;
    for (int block = 0; block < n; block += BLOCK) {
      Arrays.fill(lanes, 0f);
      int end = Math.min(n, block + BLOCK);
      for (int j = block; j < end; j++) {
        lanes[(j - block) % LANES] += a[j];
      }
      sum += RowKernels.sumLanes(lanes);
    }
    return sum;
  }

  /** Σ (a[j] − m)² over [0, n), in the same order as {@link #sum}. */
  private static double squares(float[] a, int n, float m, float[] lanes) {
    double sum = 0;
    for (int block = 0; block < n; block += BLOCK) {
      Arrays.fill(lanes, 0f);
      int end = Math.min(n, block + BLOCK);
      for (int j = block; j < end; j++) {
        float d = a[j] - m;
        lanes[(j - block) % LANES] += d * d;
      }
      sum += RowKernels.sumLanes(lanes);
    }
    return sum;
  }

  @Override
  public void inputGrad(
      ByteBuffer din,
      ByteBuffer dout,
      ByteBuffer in,
      ByteBuffer weight,
      ByteBuffer mean,
      ByteBuffer rstd,
      int cols,
      int lo,
      int hi) {
    FloatBuffer dx = din.asFloatBuffer();
    FloatBuffer g = dout.asFloatBuffer();
    FloatBuffer x = in.asFloatBuffer();
    float[] wa = new float[cols];
    float[] ga = new float[cols];
    float[] xa = new float[cols];
    float[] da = new float[cols];
    float[] lanesA = new float[LANES];
    float[] lanesB = new float[LANES];
    weight.asFloatBuffer().get(0, wa, 0, cols);
    for (int r = lo; r < hi; r++) {
      int x0 = r * cols;
      float m = mean.getFloat(r * Float.BYTES);
      float s = rstd.getFloat(r * Float.BYTES);
      g.get(x0, ga, 0, cols);
      x.get(x0, xa, 0, cols);
      dx.get(x0, da, 0, cols);
      // Σ dnorm and Σ dnorm·norm, with dnorm = weight·dout and norm = (x − mean)·rstd
      double dnormSum = 0;
      double dnormNormSum = 0;
      for (int block = 0; block < cols; block += BLOCK) {
        Arrays.fill(lanesA, 0f);
        Arrays.fill(lanesB, 0f);
        int end = Math.min(cols, block + BLOCK);
        for (int j = block; j < end; j++) {
          float dnorm = wa[j] * ga[j];
          lanesA[(j - block) % LANES] += dnorm;
          lanesB[(j - block) % LANES] += dnorm * ((xa[j] - m) * s);
        }
        dnormSum += RowKernels.sumLanes(lanesA);
        dnormNormSum += RowKernels.sumLanes(lanesB);
      }
      float a = (float) (dnormSum / cols);
      float b = (float) (dnormNormSum / cols);
      for (int j = 0; j < cols; j++) {
        float norm = (xa[j] - m) * s;
        float dnorm = wa[j] * ga[j];
        da[j] += (dnorm - a - norm * b) * s;
      }
      dx.put(x0, da, 0, cols);
    }
  }

  @Override
  public void paramGrad(
      ByteBuffer dweight,
      ByteBuffer dbias,
      ByteBuffer dout,
      ByteBuffer in,
      ByteBuffer mean,
      ByteBuffer rstd,
      int rows,
      int cols,
      int lo,
      int hi) {
    FloatBuffer dw = dweight.asFloatBuffer();
    FloatBuffer db = dbias.asFloatBuffer();
    FloatBuffer g = dout.asFloatBuffer();
    FloatBuffer x = in.asFloatBuffer();
    int len = hi - lo;
    float[] dwa = new float[len];
    float[] dba = new float[len];
    float[] ga = new float[len];
    float[] xa = new float[len];
    dw.get(lo, dwa, 0, len);
    db.get(lo, dba, 0, len);
    for (int r = 0; r < rows; r++) {
      int x0 = r * cols;
      float m = mean.getFloat(r * Float.BYTES);
      float s = rstd.getFloat(r * Float.BYTES);
      g.get(x0 + lo, ga, 0, len);
      x.get(x0 + lo, xa, 0, len);
      for (int j = 0; j < len; j++) {
        dwa[j] += (xa[j] - m) * s * ga[j];
        dba[j] += ga[j];
      }
    }
    dw.put(lo, dwa, 0, len);
    db.put(lo, dba, 0, len);
  }
}
