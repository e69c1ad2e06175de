package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

/** GEMM (one or strided-batched) through OpenBLAS, and the linear layer built on it. */
final class CpuLinear {
  private final CpuThreads threads;

  CpuLinear(CpuThreads threads) {
    this.threads = threads;
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
    // din (rows, inDim) += dout (rows, outDim) · weight (outDim, inDim)
    OpenBlas.sgemm(
        false, false, rows, inDim, outDim, 1f, g, 0, outDim, w, 0, inDim, 1f, dx, 0, inDim);
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
}
