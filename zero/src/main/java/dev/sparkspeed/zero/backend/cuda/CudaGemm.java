package dev.sparkspeed.zero.backend.cuda;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Row-major GEMMs on device tensors through cuBLAS. A and B share one dtype (FP32, BF16 or FP16); C
 * is FP32 or that same dtype; accumulation is always FP32.
 */
final class CudaGemm {
  private final Cublas cublas;
  private final DeviceTensors tensors;
  private final KernelTimer timer;

  CudaGemm(Cublas cublas, DeviceTensors tensors, KernelTimer timer) {
    this.cublas = cublas;
    this.tensors = tensors;
    this.timer = timer;
  }

  /** Tensor-level GEMM, checked against each view's size; batch 1 is a plain GEMM. */
  void gemm(
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
    DType in = a.dtype();
    if (b.dtype() != in || (c.dtype() != in && c.dtype() != DType.FP32)) {
      throw new IllegalArgumentException(
          "gemm dtypes A "
              + a.dtype()
              + ", B "
              + b.dtype()
              + ", C "
              + c.dtype()
              + ": A and B must match, C must be FP32 or the same");
    }
    long spanA = span(transA ? k : m, transA ? m : k, lda, strideA, batch);
    long spanB = span(transB ? n : k, transB ? k : n, ldb, strideB, batch);
    long spanC = span(m, n, ldc, strideC, batch);
    long pa = tensors.ptr(a, in, spanA, "gemm A");
    long pb = tensors.ptr(b, in, spanB, "gemm B");
    long pc = tensors.ptr(c, c.dtype(), spanC, "gemm C");
    raw(
        transA, transB, m, n, k, alpha, pa, lda, strideA, pb, ldb, strideB, beta, pc, ldc, strideC,
        batch, in, c.dtype());
  }

  private static long span(int rows, int cols, int ld, long stride, int batch) {
    long one = GemmMapping.extent(rows, cols, ld);
    return one == 0 || batch == 0 ? 0 : (batch - 1) * stride + one;
  }

  /** Address-level GEMM for kernels that slice operands themselves (attention). */
  void raw(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      long a,
      int lda,
      long strideA,
      long b,
      int ldb,
      long strideB,
      float beta,
      long c,
      int ldc,
      long strideC,
      int batch,
      DType in,
      DType out) {
    GemmMapping.Call call = GemmMapping.rowMajor(transA, transB, m, n, k, lda, ldb, ldc);
    if (batch <= 0 || m == 0 || n == 0) {
      return;
    }
    timer.begin(label(transA, transB, m, n, k, batch, in, out));
    // Column-major: the row-major B is the first operand, A the second.
    if (batch == 1) {
      cublas.gemm(call, in, out, alpha, b, a, beta, c);
    } else {
      cublas.gemmStridedBatched(
          call, in, out, alpha, b, strideB, a, strideA, beta, c, strideC, batch);
    }
    timer.end();
  }

  private static String label(
      boolean transA, boolean transB, int m, int n, int k, int batch, DType in, DType out) {
    return "gemm "
        + (transA ? "T" : "N")
        + (transB ? "T" : "N")
        + " "
        + m
        + "x"
        + n
        + "x"
        + k
        + (batch > 1 ? " *" + batch : "")
        + " "
        + in
        + ">"
        + out;
  }
}
