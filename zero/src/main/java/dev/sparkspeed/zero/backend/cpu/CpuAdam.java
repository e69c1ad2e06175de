package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * AdamW over flat FP32 buffers, split across threads. Memory-bound (it reads param, grad, m, v and
 * writes param, m, v: 28 bytes per element), so the loop ({@link AdamLoop}) does one pass with no
 * temporaries.
 */
final class CpuAdam {
  private final CpuThreads threads;
  private final AdamLoop loop;

  CpuAdam(CpuThreads threads, AdamLoop loop) {
    this.threads = threads;
    this.loop = loop;
  }

  /** Fails on settings no AdamW step can use. */
  static void checkStep(int step) {
    if (step < 1) {
      throw new IllegalArgumentException("adam step " + step + " must be 1 or more (1-based)");
    }
  }

  void adamW(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    AdamUpdate u =
        AdamUpdate.of(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
    threads.forRange(u.n(), CpuVectorOps.GRAIN, (lo, hi) -> loop.pass(u, false).update(lo, hi));
  }

  /**
   * adamW, and grad set to 0 in the same pass; returns Σ grad² as read. The sum is formed per block
   * of {@link CpuVectorOps#SUM_BLOCK} elements and the blocks added in order, as in {@link
   * CpuVectorOps#sumOfSquares}, so it does not depend on the number of threads.
   */
  double adamWAndClear(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    AdamUpdate u =
        AdamUpdate.of(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
    int n = u.n();
    int block = CpuVectorOps.SUM_BLOCK;
    int blocks = (n + block - 1) / block;
    double[] partial = new double[blocks];
    threads.forRange(
        blocks,
        Math.max(1, CpuVectorOps.GRAIN / block),
        (lo, hi) -> {
          AdamLoop.Pass pass = loop.pass(u, true);
          for (int b = lo; b < hi; b++) {
            int start = b * block;
            partial[b] = pass.update(start, Math.min(n, start + block));
          }
        });
    double sum = 0;
    for (double x : partial) {
      sum += x;
    }
    return sum;
  }
}
