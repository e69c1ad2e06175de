package dev.sparkspeed.zero.backend.cpu;

import java.util.Arrays;

/** {@link RowKernels} as plain loops: the reference for every other implementation. */
final class ScalarRowKernels implements RowKernels {
  @Override
  public float max(float[] a, int from, int to) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = from; j < to; j++) {
      max = Math.max(max, a[j]);
    }
    return max;
  }

  @Override
  public double expShifted(float[] src, float[] dst, int from, int to, float shift) {
    float[] lanes = new float[LANES];
    double sum = 0;
    for (int block = from; block < to; block += BLOCK) {
      Arrays.fill(lanes, 0f);
      int end = Math.min(to, block + BLOCK);
      for (int j = block; j < end; j++) {
        float e = CpuMath.exp(src[j] - shift);
        dst[j] = e;
        lanes[(j - block) % LANES] += e;
      }
      sum += RowKernels.sumLanes(lanes);
    }
    return sum;
  }

  @Override
  public void scale(float[] a, int from, int to, float s) {
    for (int j = from; j < to; j++) {
      a[j] *= s;
    }
  }
}
