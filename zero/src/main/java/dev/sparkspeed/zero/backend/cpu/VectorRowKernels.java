package dev.sparkspeed.zero.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowKernels} on the Vector API ({@code jdk.incubator.vector}), loaded only when the JVM
 * resolved that module. The exponential repeats {@link CpuMath#exp}'s float operations lane by lane
 * (each product and sum rounded on its own, as Java rounds them), so results equal the scalar
 * loops' bit for bit. With 16-float vectors one vector holds the {@link #LANES} partial sums; with
 * 8-float vectors two do.
 */
final class VectorRowKernels implements RowKernels {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
  private static final int L = F.length();

  VectorRowKernels() {
    if (L != LANES && 2 * L != LANES) {
      throw new UnsupportedOperationException(
          "preferred vectors hold " + L + " floats; these kernels need 8 or 16");
    }
    if (I.length() != L) {
      throw new UnsupportedOperationException(
          "preferred int vectors hold " + I.length() + " lanes against " + L + " floats");
    }
  }

  @Override
  public float max(float[] a, int from, int to) {
    FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
    int j = from;
    for (int end = to - L; j <= end; j += L) {
      acc = acc.max(FloatVector.fromArray(F, a, j));
    }
    float max = acc.reduceLanes(VectorOperators.MAX);
    for (; j < to; j++) {
      max = Math.max(max, a[j]);
    }
    return max;
  }

  @Override
  public double expShifted(float[] src, float[] dst, int from, int to, float shift) {
    float[] lanes = new float[LANES];
    double sum = 0;
    for (int block = from; block < to; block += BLOCK) {
      int end = Math.min(to, block + BLOCK);
      int j =
          L == LANES
              ? block16(src, dst, block, end, shift, lanes)
              : block8(src, dst, block, end, shift, lanes);
      for (; j < end; j++) {
        float e = CpuMath.exp(src[j] - shift);
        dst[j] = e;
        lanes[(j - block) % LANES] += e;
      }
      sum += RowKernels.sumLanes(lanes);
    }
    return sum;
  }

  /**
   * Exponentials of whole 16-element groups from {@code block}; leaves the partial sums in lanes
   * and returns the first index not done.
   */
  private static int block16(
      float[] src, float[] dst, int block, int end, float shift, float[] lanes) {
    FloatVector acc = FloatVector.zero(F);
    int j = block;
    for (int last = end - LANES; j <= last; j += LANES) {
      FloatVector e = exp(FloatVector.fromArray(F, src, j).sub(shift));
      e.intoArray(dst, j);
      acc = acc.add(e);
    }
    acc.intoArray(lanes, 0);
    return j;
  }

  /** {@link #block16} with two 8-float vectors holding the 16 partial sums. */
  private static int block8(
      float[] src, float[] dst, int block, int end, float shift, float[] lanes) {
    FloatVector lo = FloatVector.zero(F);
    FloatVector hi = FloatVector.zero(F);
    int j = block;
    for (int last = end - LANES; j <= last; j += LANES) {
      FloatVector e0 = exp(FloatVector.fromArray(F, src, j).sub(shift));
      FloatVector e1 = exp(FloatVector.fromArray(F, src, j + L).sub(shift));
      e0.intoArray(dst, j);
      e1.intoArray(dst, j + L);
      lo = lo.add(e0);
      hi = hi.add(e1);
    }
    lo.intoArray(lanes, 0);
    hi.intoArray(lanes, L);
    return j;
  }

  @Override
  public void scale(float[] a, int from, int to, float s) {
    int j = from;
    for (int end = to - L; j <= end; j += L) {
      FloatVector.fromArray(F, a, j).mul(s).intoArray(a, j);
    }
    for (; j < to; j++) {
      a[j] *= s;
    }
  }

  /** {@link CpuMath#exp}, lane by lane, in the same operations. */
  private static FloatVector exp(FloatVector x) {
    FloatVector t = x.mul(CpuMath.LOG2E).add(CpuMath.ROUNDER);
    IntVector k = t.reinterpretAsInts().sub(CpuMath.ROUNDER_BITS);
    FloatVector kf = t.sub(CpuMath.ROUNDER);
    FloatVector r = x.sub(kf.mul(CpuMath.LN2_HI)).sub(kf.mul(CpuMath.LN2_LO));
    FloatVector p =
        r.mul(1f / 720)
            .add(1f / 120)
            .mul(r)
            .add(1f / 24)
            .mul(r)
            .add(1f / 6)
            .mul(r)
            .add(0.5f)
            .mul(r)
            .add(1f)
            .mul(r)
            .add(1f);
    IntVector half = k.lanewise(VectorOperators.ASHR, 1);
    FloatVector s1 = half.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector s2 = k.sub(half).add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    FloatVector e = p.mul(s1).mul(s2);
    VectorMask<Float> under = x.compare(VectorOperators.LT, CpuMath.UNDERFLOW);
    VectorMask<Float> over = x.compare(VectorOperators.GT, CpuMath.OVERFLOW);
    return e.blend(0f, under).blend(Float.POSITIVE_INFINITY, over);
  }
}
