package dev.sparkspeed.zero.backend.cpu;

import java.util.logging.Logger;

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

  /** System property that, set to {@code false}, keeps the CPU kernels on the scalar loops. */
  String VECTOR_PROPERTY = "sparkspeed.cpu.vectorKernels";

  /** What the implementation runs on, for logs. */
  String describe();

  /** max over a[from, to); NaN if any element is NaN, −∞ for an empty range. */
  float max(float[] a, int from, int to);

  /**
   * dst[j] = e^(src[j] − shift) for j in [from, to), with {@link CpuMath#exp}; returns their sum in
   * the blocked, interleaved order of the class comment. src and dst may be the same array.
   */
  double expShifted(float[] src, float[] dst, int from, int to, float shift);

  /** a[j] *= s for j in [from, to). */
  void scale(float[] a, int from, int to, float s);

  /** Adds the partial sums in lane order. */
  static float sumLanes(float[] lanes) {
    float sum = 0f;
    for (float l : lanes) {
      sum += l;
    }
    return sum;
  }

  /**
   * The Vector API kernels when the JVM resolved {@code jdk.incubator.vector} (started with {@code
   * --add-modules jdk.incubator.vector}) and its preferred vectors hold 8 or 16 floats; the scalar
   * loops otherwise, or when {@value #VECTOR_PROPERTY} is {@code false}.
   */
  static RowKernels fastest() {
    return RowKernelChoice.CHOSEN;
  }

  /** The scalar loops, whatever the JVM offers; the reference the vector kernels are tested on. */
  static RowKernels scalar() {
    return new ScalarRowKernels();
  }

  /** Picks the implementation once per JVM and says which, and why, in one log line. */
  final class RowKernelChoice {
    static final RowKernels CHOSEN = choose();

    private RowKernelChoice() {}

    private static RowKernels choose() {
      Logger log = Logger.getLogger(RowKernels.class.getName());
      if (!Boolean.parseBoolean(System.getProperty(VECTOR_PROPERTY, "true"))) {
        log.fine("CPU row kernels: scalar (" + VECTOR_PROPERTY + "=false)");
        return scalar();
      }
      if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
        log.info(
            "CPU row kernels: scalar; start the JVM with --add-modules=jdk.incubator.vector"
                + " for the vectorized softmax and cross-entropy");
        return scalar();
      }
      try {
        RowKernels k =
            (RowKernels)
                Class.forName(RowKernels.class.getPackageName() + ".VectorRowKernels")
                    .getDeclaredConstructor()
                    .newInstance();
        log.fine("CPU row kernels: " + k.describe());
        return k;
      } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
        log.info("CPU row kernels: scalar; the Vector API is unusable here: " + e);
        return scalar();
      }
    }
  }
}
