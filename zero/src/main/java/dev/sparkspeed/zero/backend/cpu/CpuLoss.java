package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.Arrays;

/** Softmax cross-entropy over a padded vocabulary, and squared error; rows split across threads. */
final class CpuLoss {
  private final CpuThreads threads;
  private final RowKernels rows;

  CpuLoss(CpuThreads threads, RowKernels rows) {
    this.threads = threads;
    this.rows = rows;
  }

  /** Fails on a target that is neither a real class nor the ignore index. */
  static void checkTargets(IntBuffer y, int rows, int v, int vp, int ignoreIndex) {
    if (v <= 0 || v > vp) {
      throw new IllegalArgumentException(
          "vocabulary " + v + " must be positive and at most the padded size " + vp);
    }
    for (int r = 0; r < rows; r++) {
      int target = y.get(r);
      if (target != ignoreIndex && (target < 0 || target >= v)) {
        throw new IllegalArgumentException(
            "target "
                + target
                + " at row "
                + r
                + " is outside the vocabulary of "
                + v
                + " and is not the ignore index "
                + ignoreIndex);
      }
    }
  }

  void crossEntropyForward(
      Tensor losses,
      Tensor probs,
      Tensor logits,
      Tensor targets,
      int rows,
      int v,
      int vp,
      int ignoreIndex) {
    long n = (long) rows * vp;
    FloatBuffer loss = Operands.f32(losses, rows, "crossEntropy losses");
    FloatBuffer p = Operands.f32(probs, n, "crossEntropy probs");
    FloatBuffer z = Operands.f32(logits, n, "crossEntropy logits");
    IntBuffer y = Operands.i32(targets, rows, "crossEntropy targets");
    checkTargets(y, rows, v, vp, ignoreIndex);
    threads.forRange(
        rows,
        1,
        (lo, hi) -> {
          // One row at a time through a heap array: off-heap loops pay a check per element.
          float[] row = new float[vp];
          for (int r = lo; r < hi; r++) {
            z.get(r * vp, row, 0, vp);
            loss.put(r, softmaxRow(row, v, vp, y.get(r), ignoreIndex));
            p.put(r * vp, row, 0, vp);
          }
        });
  }

  /**
   * Replaces one row of logits by its probabilities (padding columns 0) and returns its loss, log Σ
   * exp(z − max) − (z_y − max).
   */
  private float softmaxRow(float[] z, int v, int vp, int target, int ignoreIndex) {
    float max = rows.max(z, 0, v);
    float zt = target == ignoreIndex ? 0f : z[target];
    double sum = rows.softmax(z, z, 0, v, max);
    Arrays.fill(z, v, vp, 0f);
    if (target == ignoreIndex) {
      return 0f;
    }
    return (float) (Math.log(sum) - (zt - max));
  }

  void crossEntropyBackward(
      Tensor dlogits,
      Tensor probs,
      Tensor targets,
      float dloss,
      int rows,
      int v,
      int vp,
      int ignoreIndex) {
    long n = (long) rows * vp;
    FloatBuffer dz = Operands.f32(dlogits, n, "crossEntropy dlogits");
    FloatBuffer p = Operands.f32(probs, n, "crossEntropy probs");
    IntBuffer y = Operands.i32(targets, rows, "crossEntropy targets");
    checkTargets(y, rows, v, vp, ignoreIndex);
    threads.forRange(
        rows,
        1,
        (lo, hi) -> {
          // One row at a time through heap arrays, as in the forward pass.
          float[] pa = new float[v];
          float[] da = new float[v];
          for (int r = lo; r < hi; r++) {
            int target = y.get(r);
            if (target == ignoreIndex) {
              continue;
            }
            int row = r * vp;
            dz.get(row, da, 0, v);
            p.get(row, pa, 0, v);
            float before = da[target];
            for (int j = 0; j < v; j++) {
              da[j] += pa[j] * dloss;
            }
            // The target column gets (p − 1)·dloss, rounded once like every other column.
            da[target] = before + (pa[target] - 1f) * dloss;
            dz.put(row, da, 0, v);
          }
        });
  }

  void mseForward(Tensor losses, Tensor pred, Tensor target, int rows) {
    FloatBuffer loss = Operands.f32(losses, rows, "mse losses");
    FloatBuffer x = Operands.f32(pred, rows, "mse pred");
    FloatBuffer y = Operands.f32(target, rows, "mse target");
    threads.forRange(
        rows,
        CpuVectorOps.GRAIN,
        (lo, hi) -> {
          for (int r = lo; r < hi; r++) {
            float d = x.get(r) - y.get(r);
            loss.put(r, d * d);
          }
        });
  }

  void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows) {
    FloatBuffer dx = Operands.f32(dpred, rows, "mse dpred");
    FloatBuffer x = Operands.f32(pred, rows, "mse pred");
    FloatBuffer y = Operands.f32(target, rows, "mse target");
    threads.forRange(
        rows,
        CpuVectorOps.GRAIN,
        (lo, hi) -> {
          for (int r = lo; r < hi; r++) {
            dx.put(r, dx.get(r) + 2f * (x.get(r) - y.get(r)) * dloss);
          }
        });
  }
}
