package dev.sparkspeed.zero.backend.cpu;

/**
 * The per-row loops of the softmaxes (cross-entropy over the vocabulary, attention over keys): the
 * row maximum, the shifted exponentials with their sum, and a scale. Every implementation gives
 * bit-identical results: exponentials are {@link CpuMath#exp}'s operations in the same order, and a
 * sum is formed per block of {@link #BLOCK} elements in {@link #LANES} interleaved float partial
 * sums (element j goes to partial (j − block start) mod LANES, each partial in index order), which
 * {@link #sumLanes} adds in lane order; the block sums add up in double. Rows are heap arrays, so a
 * caller stages off-heap data once per row.
 */
interface RowKernels {
  /** Float partial sums an exponential pass keeps within a block. */
  int LANES = 16;

  /** Elements per block of partial sums: short enough that float partials stay within 1e-7. */
  int BLOCK = 1024;

  /** max over a[from, to); NaN if any element is NaN, −∞ for an empty range. */
  float max(float[] a, int from, int to);

  /**
   * dst[j] = e^(src[j] − shift) for j in [from, to), with {@link CpuMath#exp}; returns their sum in
   * the blocked, interleaved order of the class comment. src and dst may be the same array.
   */
  double expShifted(float[] src, float[] dst, int from, int to, float shift);

  /** a[j] *= s for j in [from, to). */
  void scale(float[] a, int from, int to, float s);

  /**
   * dst[from, to) = the softmax of src[from, to), given their maximum: the shifted exponentials of
   * {@link #expShifted}, scaled by the reciprocal of their sum. Returns that sum.
   */
  default double softmax(float[] src, float[] dst, int from, int to, float max) {
    double sum = expShifted(src, dst, from, to, max);
    scale(dst, from, to, (float) (1.0 / sum));
    return sum;
  }

  /** Adds the partial sums in lane order. */
  static float sumLanes(float[] lanes) {
    float sum = 0f;
    for (float l : lanes) {
      sum += l;
    }
    return sum;
  }

  /**
   * The Vector API kernels when the JVM can run them and its preferred vectors hold 8 or 16 floats
   * (see {@link VectorApi}); the scalar loops otherwise.
   */
  static RowKernels fastest() {
    return Chosen.KERNELS;
  }

  /** The scalar loops, whatever the JVM offers; the reference the vector kernels are tested on. */
  static RowKernels scalar() {
    return new ScalarRowKernels();
  }

  /** Holds the choice, made once per JVM on first use. */
  final class Chosen {
    static final RowKernels KERNELS =
        VectorApi.loadOr(RowKernels.class, "VectorRowKernels", scalar());

    private Chosen() {}
  }
}
