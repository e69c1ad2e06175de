package dev.sparkspeed.zero.backend.cpu;

import static dev.sparkspeed.zero.backend.cpu.RowKernels.BLOCK;
import static dev.sparkspeed.zero.backend.cpu.RowKernels.LANES;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link LayerNormRows} on the Vector API, reading and writing the off-heap buffers in place (no
 * staging copies). Lanes repeat {@link ScalarLayerNormRows}' float operations in the same order, so
 * results are bit-identical (the parameter gradients are the scalar loops themselves); a row sum's
 * {@link RowKernels#LANES} partial sums are one 16-float vector, or two 8-float ones, and the
 * elements past a row's last whole group of 16 add into them one by one, as in the scalar loops.
 */
final class VectorLayerNormRows implements LayerNormRows {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();

  /** Whether the partial sums take two vectors; constant, so the JIT drops the unused branch. */
  private static final boolean TWO = 2 * L == LANES;

  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  /**
   * Runs the parameter gradients: C2 vectorizes its staged column loop by itself, and that was
   * faster here (57 against 72 µs for 256 × 768) than Vector API loops over the buffers.
   */
  private final LayerNormRows staged = new ScalarLayerNormRows();

  VectorLayerNormRows() {
    if (L != LANES && !TWO) {
      throw new UnsupportedOperationException(
          "preferred vectors hold " + L + " floats; these loops need 8 or 16");
    }
  }

  private static FloatVector load(ByteBuffer b, int at, int j) {
    return FloatVector.fromByteBuffer(F, b, at + j * Float.BYTES, ORDER);
  }

  private static float get(ByteBuffer b, int at, int j) {
    return b.getFloat(at + j * Float.BYTES);
  }

  /** Leaves the partial sums of one block in lanes, in lane order. */
  private static void store(FloatVector lo, FloatVector hi, float[] lanes) {
    lo.intoArray(lanes, 0);
    if (TWO) {
      hi.intoArray(lanes, L);
    }
  }

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
    float[] lanes = new float[LANES];
    for (int r = lo; r < hi; r++) {
      int at = r * cols * Float.BYTES;
      float m = (float) (sum(in, at, cols, lanes) / cols);
      float s =
          (float) (1.0 / Math.sqrt(squares(in, at, cols, m, lanes) / cols + CpuLayerNorm.EPS));
      int j = 0;
      for (int last = cols - L; j <= last; j += L) {
        load(in, at, j)
            .sub(m)
            .mul(s)
            .mul(load(weight, 0, j))
            .add(load(bias, 0, j))
            .intoByteBuffer(out, at + j * Float.BYTES, ORDER);
      }
      for (; j < cols; j++) {
        out.putFloat(
            at + j * Float.BYTES, (get(in, at, j) - m) * s * get(weight, 0, j) + get(bias, 0, j));
      }
      mean.putFloat(r * Float.BYTES, m);
      rstd.putFloat(r * Float.BYTES, s);
    }
  }

  /** Σ x over the row at byte {@code at}, in the blocked, interleaved order. */
  private static double sum(ByteBuffer x, int at, int n, float[] lanes) {
    double sum = 0;
    for (int block = 0; block < n; block += BLOCK) {
      int end = Math.min(n, block + BLOCK);
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = a0;
      int j = block;
      for (int last = end - LANES; j <= last; j += LANES) {
        a0 = a0.add(load(x, at, j));
        if (TWO) {
          a1 = a1.add(load(x, at, j + L));
        }
      }
      store(a0, a1, lanes);
      for (; j < end; j++) {
        lanes[(j - block) % LANES] += get(x, at, j);
      }
      sum += RowKernels.sumLanes(lanes);
    }
    return sum;
  }

  /** Σ (x − m)² over the row at byte {@code at}, in the same order as {@link #sum}. */
  private static double squares(ByteBuffer x, int at, int n, float m, float[] lanes) {
    double sum = 0;
    for (int block = 0; block < n; block += BLOCK) {
      int end = Math.min(n, block + BLOCK);
      FloatVector a0 = FloatVector.zero(F);
      FloatVector a1 = a0;
      int j = block;
      for (int last = end - LANES; j <= last; j += LANES) {
        FloatVector d0 = load(x, at, j).sub(m);
        a0 = a0.add(d0.mul(d0));
        if (TWO) {
          FloatVector d1 = load(x, at, j + L).sub(m);
          a1 = a1.add(d1.mul(d1));
        }
      }
      store(a0, a1, lanes);
      for (; j < end; j++) {
        float d = get(x, at, j) - m;
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
    float[] lanesA = new float[LANES];
    float[] lanesB = new float[LANES];
    for (int r = lo; r < hi; r++) {
      int at = r * cols * Float.BYTES;
      float m = mean.getFloat(r * Float.BYTES);
      float s = rstd.getFloat(r * Float.BYTES);
      // Σ dnorm and Σ dnorm·norm, with dnorm = weight·dout and norm = (x − mean)·rstd
      double dnormSum = 0;
      double dnormNormSum = 0;
      for (int block = 0; block < cols; block += BLOCK) {
        int end = Math.min(cols, block + BLOCK);
        FloatVector a0 = FloatVector.zero(F);
        FloatVector a1 = a0;
        FloatVector b0 = a0;
        FloatVector b1 = a0;
        int j = block;
        for (int last = end - LANES; j <= last; j += LANES) {
          FloatVector dn0 = load(weight, 0, j).mul(load(dout, at, j));
          a0 = a0.add(dn0);
          b0 = b0.add(dn0.mul(load(in, at, j).sub(m).mul(s)));
          if (TWO) {
            FloatVector dn1 = load(weight, 0, j + L).mul(load(dout, at, j + L));
            a1 = a1.add(dn1);
            b1 = b1.add(dn1.mul(load(in, at, j + L).sub(m).mul(s)));
          }
        }
        store(a0, a1, lanesA);
        store(b0, b1, lanesB);
        for (; j < end; j++) {
          float dnorm = get(weight, 0, j) * get(dout, at, j);
          lanesA[(j - block) % LANES] += dnorm;
          lanesB[(j - block) % LANES] += dnorm * ((get(in, at, j) - m) * s);
        }
        dnormSum += RowKernels.sumLanes(lanesA);
        dnormNormSum += RowKernels.sumLanes(lanesB);
      }
      float a = (float) (dnormSum / cols);
      float b = (float) (dnormNormSum / cols);
      int j = 0;
      for (int last = cols - L; j <= last; j += L) {
        FloatVector norm = load(in, at, j).sub(m).mul(s);
        FloatVector dnorm = load(weight, 0, j).mul(load(dout, at, j));
        load(din, at, j)
            .add(dnorm.sub(a).sub(norm.mul(b)).mul(s))
            .intoByteBuffer(din, at + j * Float.BYTES, ORDER);
      }
      for (; j < cols; j++) {
        float norm = (get(in, at, j) - m) * s;
        float dnorm = get(weight, 0, j) * get(dout, at, j);
        din.putFloat(at + j * Float.BYTES, get(din, at, j) + (dnorm - a - norm * b) * s);
      }
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
    staged.paramGrad(dweight, dbias, dout, in, mean, rstd, rows, cols, lo, hi);
  }
}
