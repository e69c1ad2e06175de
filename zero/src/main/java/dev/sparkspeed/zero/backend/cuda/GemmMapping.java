package dev.sparkspeed.zero.backend.cuda;

/**
 * Turns a row-major GEMM into the column-major call cuBLAS expects. A row-major matrix with row
 * stride ld is, byte for byte, its transpose in column-major order with leading dimension ld. So
 * row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: call cuBLAS with the operands
 * swapped (B first), the same transpose flags, and m and n swapped. Pure arithmetic, tested on the
 * CPU.
 */
final class GemmMapping {
  private GemmMapping() {}

  /**
   * A column-major GEMM: C (m, n) = op(first) (m, k) · op(second) (k, n). {@code transA} and {@code
   * lda} describe the first operand, which is the row-major call's B.
   */
  record Call(boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
    @Override
    public String toString() {
      return (transA ? "T" : "N")
          + (transB ? "T" : "N")
          + " m="
          + m
          + " n="
          + n
          + " k="
          + k
          + " lda="
          + lda
          + " ldb="
          + ldb
          + " ldc="
          + ldc;
    }
  }

  /**
   * Maps row-major {@code C (m,n) = op(A) (m,k) · op(B) (k,n)} with row strides lda, ldb, ldc to
   * the column-major call whose first operand is B and second is A.
   *
   * @throws IllegalArgumentException when a size is negative or a row stride is shorter than its
   *     row
   */
  static Call rowMajor(
      boolean transA, boolean transB, int m, int n, int k, int lda, int ldb, int ldc) {
    if (m < 0 || n < 0 || k < 0) {
      throw new IllegalArgumentException("gemm sizes m=" + m + " n=" + n + " k=" + k);
    }
    requireStride("lda", lda, transA ? m : k, transA ? "m (A is transposed)" : "k");
    requireStride("ldb", ldb, transB ? k : n, transB ? "k (B is transposed)" : "n");
    requireStride("ldc", ldc, n, "n");
    return new Call(transB, transA, n, m, k, ldb, lda, ldc);
  }

  private static void requireStride(String name, int ld, int rowLength, String what) {
    if (ld < Math.max(1, rowLength)) {
      throw new IllegalArgumentException(
          name + "=" + ld + " is shorter than a row (" + what + " = " + rowLength + ")");
    }
  }

  /**
   * Elements a row-major operand spans from its first element: (rows − 1)·ld + cols, 0 when empty.
   */
  static long extent(int rows, int cols, int ld) {
    return rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
  }
}
