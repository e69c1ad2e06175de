package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;

/**
 * Argument checks both CPU backends run before touching memory, so a wrong size fails with a
 * message naming the operand instead of reading past a buffer (which, for OpenBLAS, would crash the
 * process).
 */
final class Operands {
  private Operands() {}

  /** The floats of an FP32 host tensor holding at least n elements, index 0 at its start. */
  static FloatBuffer f32(Tensor t, long n, String what) {
    require(t, DType.FP32, n, what);
    return t.floats();
  }

  /**
   * The native-order bytes of an FP32 host tensor holding at least n elements, byte 0 at its start:
   * the operands of the loops that read and write off-heap memory in place.
   */
  static ByteBuffer f32Bytes(Tensor t, long n, String what) {
    require(t, DType.FP32, n, what);
    return t.bytes();
  }

  /** As {@link #f32}, or null when t is null (an optional operand such as a bias). */
  static FloatBuffer f32OrNull(Tensor t, long n, String what) {
    return t == null ? null : f32(t, n, what);
  }

  /** The ints of an INT32 host tensor holding at least n elements. */
  static IntBuffer i32(Tensor t, long n, String what) {
    require(t, DType.INT32, n, what);
    return t.ints();
  }

  /** Fails unless t is FP32 or 16-bit. */
  static void requireFloating(Tensor t, String what) {
    if (t.dtype() == DType.INT32) {
      throw new IllegalArgumentException(what + " must be FP32, BF16 or FP16, got " + t);
    }
  }

  private static void require(Tensor t, DType dtype, long n, String what) {
    if (t == null) {
      throw new IllegalArgumentException(what + " is null");
    }
    if (t.dtype() != dtype) {
      throw new IllegalArgumentException(what + " must be " + dtype + ", got " + t);
    }
    if (t.size() < n) {
      throw new IllegalArgumentException(
          what + " needs at least " + n + " elements, " + t + " has " + t.size());
    }
  }

  /**
   * Checks one GEMM operand: stored as (rows, cols) with row stride ld, it spans (rows−1)·ld + cols
   * elements from offset.
   */
  static FloatBuffer matrix(Tensor t, long offset, int rows, int cols, int ld, String what) {
    if (rows < 0 || cols < 0) {
      throw new IllegalArgumentException(what + ": negative size " + rows + "x" + cols);
    }
    if (ld < Math.max(1, cols)) {
      throw new IllegalArgumentException(
          what + ": leading dimension " + ld + " is smaller than its " + cols + " columns");
    }
    long span = rows == 0 || cols == 0 ? 0 : (rows - 1L) * ld + cols;
    return f32(t, offset + span, what);
  }
}
