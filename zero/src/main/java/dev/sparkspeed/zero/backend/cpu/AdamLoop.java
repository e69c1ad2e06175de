package dev.sparkspeed.zero.backend.cpu;

/**
 * The AdamW loop over one thread's part of an {@link AdamUpdate}. Implementations give
 * bit-identical parameters, moments and gradient sums: each element's update is the same float
 * operations in the same order, and Σ grad² is formed in {@link CpuVectorOps#CHUNK} float partial
 * sums (element j of a chunk adds into partial j) that {@link CpuVectorOps#sum} adds up per call.
 */
interface AdamLoop {
  /** One thread's pass: holds that thread's scratch; not shared between threads. */
  interface Pass {
    /**
     * Updates elements [lo, hi). When the pass clears, it also zeroes the gradient and returns Σ
     * grad² as read (before the gradient scale); otherwise it returns 0.
     */
    double update(int lo, int hi);
  }

  /** A pass for one thread over {@code u}; {@code clear} as in {@link Pass#update}. */
  Pass pass(AdamUpdate u, boolean clear);

  /** The Vector API loop when the JVM can run it (see {@link VectorApi}), else the staged one. */
  static AdamLoop fastest() {
    return Chosen.LOOP;
  }

  /** The loop through heap arrays: the reference for the others. */
  static AdamLoop staged() {
    return new StagedAdamLoop();
  }

  /** Holds the choice, made once per JVM on first use. */
  final class Chosen {
    static final AdamLoop LOOP = VectorApi.loadOr(AdamLoop.class, "VectorAdamLoop", staged());

    private Chosen() {}
  }
}
