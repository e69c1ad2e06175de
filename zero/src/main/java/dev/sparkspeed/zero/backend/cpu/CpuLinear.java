package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * GEMM (one or strided-batched) through OpenBLAS, and the linear layer built on it. Owns one
 * scratch tensor for the input gradient's transpose, sized on the first backward pass and freed by
 * {@link #close}.
 */
final class CpuLinear implements AutoCloseable {
  /** Rows of din transposed back per block: 16 rows × inDim floats stay in the L2 cache. */
  private static final int TRANSPOSE_ROWS = 16;

  /** See {@link #addInputGradient}. */
  private static final int TRANSPOSED_MIN_RATIO = 2;

  private final CpuThreads threads;
  private final HostMemory memory;
  private Tensor dinT; // (inDim, rows), as large as the largest backward so far

  CpuLinear(CpuThreads threads, HostMemory memory) {
    this.threads = threads;
    this.memory = memory;
  }

  void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      Tensor a,
      int lda,
      Tensor b,
      int ldb,
      float beta,
      Tensor c,
      int ldc) {
    gemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
  }

  void gemmStridedBatched(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      Tensor a,
      int lda,
      long strideA,
      Tensor b,
      int ldb,
      long strideB,
      float beta,
      Tensor c,
      int ldc,
      long strideC,
      int batch) {
    if (batch <= 0) {
      return;
    }
    long last = batch - 1L;
    FloatBuffer ab =
        Operands.matrix(
            a, last * strideA, transA ? k : m, transA ? m : k, lda, "gemm A (batch " + batch + ")");
    FloatBuffer bb =
        Operands.matrix(
            b, last * strideB, transB ? n : k, transB ? k : n, ldb, "gemm B (batch " + batch + ")");
    FloatBuffer cb = Operands.matrix(c, last * strideC, m, n, ldc, "gemm C (batch " + batch + ")");
    for (int i = 0; i < batch; i++) {
      OpenBlas.sgemm(
          transA,
          transB,
          m,
          n,
          k,
          alpha,
          ab,
          i * strideA,
          lda,
          bb,
          i * strideB,
          ldb,
          beta,
          cb,
          i * strideC,
          ldc);
    }
  }

  void forward(Tensor out, Tensor in, Tensor weight, Tensor bias, int rows, int inDim, int outDim) {
    FloatBuffer o = Operands.f32(out, (long) rows * outDim, "linear out");
    FloatBuffer x = Operands.f32(in, (long) rows * inDim, "linear in");
    FloatBuffer w = Operands.f32(weight, (long) outDim * inDim, "linear weight");
    FloatBuffer bv = Operands.f32OrNull(bias, outDim, "linear bias");
    if (bv != null) {
      // Start every output row at the bias and let sgemm accumulate onto it (beta = 1).
      threads.forRange(
          rows,
          Math.max(1, CpuVectorOps.GRAIN / Math.max(1, outDim)),
          (lo, hi) -> {
            float[] row = new float[outDim];
            bv.get(0, row, 0, outDim);
            for (int r = lo; r < hi; r++) {
              o.put(r * outDim, row, 0, outDim);
            }
          });
    }
    // out (rows, outDim) = in (rows, inDim) · weightᵀ (inDim, outDim)
    OpenBlas.sgemm(
        false,
        true,
        rows,
        outDim,
        inDim,
        1f,
        x,
        0,
        inDim,
        w,
        0,
        inDim,
        bv == null ? 0f : 1f,
        o,
        0,
        outDim);
  }

  void backward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      int rows,
      int inDim,
      int outDim) {
    FloatBuffer dx = Operands.f32(din, (long) rows * inDim, "linear din");
    FloatBuffer dw = Operands.f32(dweight, (long) outDim * inDim, "linear dweight");
    FloatBuffer db = Operands.f32OrNull(dbias, outDim, "linear dbias");
    FloatBuffer g = Operands.f32(dout, (long) rows * outDim, "linear dout");
    FloatBuffer x = Operands.f32(in, (long) rows * inDim, "linear in");
    FloatBuffer w = Operands.f32(weight, (long) outDim * inDim, "linear weight");
    addInputGradient(dx, g, w, rows, inDim, outDim);
    // dweight (outDim, inDim) += doutᵀ (outDim, rows) · in (rows, inDim)
    OpenBlas.sgemm(
        true, false, outDim, inDim, rows, 1f, g, 0, outDim, x, 0, inDim, 1f, dw, 0, inDim);
    if (db != null) {
      threads.forRange(
          outDim,
          256,
          (lo, hi) -> {
            // Each thread sums its columns over the rows in row order, through heap arrays.
            int len = hi - lo;
            float[] acc = new float[len];
            float[] ga = new float[len];
            db.get(lo, acc, 0, len);
            for (int r = 0; r < rows; r++) {
              g.get(r * outDim + lo, ga, 0, len);
              for (int j = 0; j < len; j++) {
                acc[j] += ga[j];
              }
            }
            db.put(lo, acc, 0, len);
          });
    }
  }

  /**
   * din (rows, inDim) += dout (rows, outDim) · weight (outDim, inDim). Inside a training step the
   * weight comes cold from memory, and OpenBLAS packs it faster when the product is formed
   * transposed, dinᵀ = weightᵀ · doutᵀ: 10–15% more GFLOP/s on GPT-2's shapes. The transpose back
   * costs time in proportion to din, the product in proportion to din × outDim, so the transposed
   * form is taken only where outDim is at least {@link #TRANSPOSED_MIN_RATIO} × inDim (GPT-2's
   * attention input, MLP input and tied output layers; measured, it loses on the projections back
   * to the residual width).
   */
  private void addInputGradient(
      FloatBuffer dx, FloatBuffer g, FloatBuffer w, int rows, int inDim, int outDim) {
    if (outDim < (long) TRANSPOSED_MIN_RATIO * inDim) {
      OpenBlas.sgemm(
          false, false, rows, inDim, outDim, 1f, g, 0, outDim, w, 0, inDim, 1f, dx, 0, inDim);
      return;
    }
    addTransposedInputGradient(dx, g, w, rows, inDim, outDim);
  }

  /** {@link #addInputGradient} through dinᵀ in scratch, transposed back onto din. */
  private void addTransposedInputGradient(
      FloatBuffer dx, FloatBuffer g, FloatBuffer w, int rows, int inDim, int outDim) {
    long n = (long) rows * inDim;
    if (dinT == null || dinT.size() < n) {
      if (dinT != null) {
        memory.free(dinT);
        dinT = null;
      }
      dinT = memory.allocate("linear_din_transpose", DType.FP32, Math.toIntExact(n));
    }
    FloatBuffer t = dinT.floats();
    // dinᵀ (inDim, rows) = weightᵀ (inDim, outDim) · doutᵀ (outDim, rows)
    OpenBlas.sgemm(true, true, inDim, rows, outDim, 1f, w, 0, inDim, g, 0, outDim, 0f, t, 0, rows);
    threads.forRange(
        (rows + TRANSPOSE_ROWS - 1) / TRANSPOSE_ROWS,
        1,
        (lo, hi) -> {
          float[] block = new float[inDim * TRANSPOSE_ROWS]; // (inDim, TRANSPOSE_ROWS)
          float[] row = new float[inDim];
          for (int bk = lo; bk < hi; bk++) {
            int r0 = bk * TRANSPOSE_ROWS;
            int len = Math.min(TRANSPOSE_ROWS, rows - r0);
            for (int i = 0; i < inDim; i++) {
              t.get(i * rows + r0, block, i * TRANSPOSE_ROWS, len);
            }
            for (int r = 0; r < len; r++) {
              dx.get((r0 + r) * inDim, row, 0, inDim);
              for (int i = 0; i < inDim; i++) {
                row[i] += block[i * TRANSPOSE_ROWS + r];
              }
              dx.put((r0 + r) * inDim, row, 0, inDim);
            }
          }
        });
  }

  /** Frees the scratch tensor; the backend closes its allocator after this. */
  @Override
  public void close() {
    if (dinT != null) {
      memory.free(dinT);
      dinT = null;
    }
  }
}
