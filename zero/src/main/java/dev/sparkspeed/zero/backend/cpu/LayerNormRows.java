package dev.sparkspeed.zero.backend.cpu;

import java.nio.ByteBuffer;

/**
 * The loops of layer normalisation over rows of {@code cols} floats, on the off-heap buffers of
 * FP32 tensors (native-order {@link ByteBuffer}s, byte 0 at element 0). Every implementation gives
 * bit-identical results: each element sees the same float operations in the same order, and each
 * row sum (the mean, the variance, the backward pass's two reductions) is formed as {@link
 * RowKernels} forms its sums: per block of {@link RowKernels#BLOCK} elements in {@link
 * RowKernels#LANES} interleaved float partial sums, added in lane order, the block sums added in
 * double. Float partials over short runs keep the sums within about 1e-7 relative while letting
 * vector lanes form them; the parameter gradients sum over rows in row order, column by column.
 */
interface LayerNormRows {
  /**
   * Rows [lo, hi): out = (in − mean)·rstd·weight + bias, with mean (rows) and rstd (rows) written
   * for the backward pass; rstd = 1/√(variance + {@link CpuLayerNorm#EPS}). out, in: (rows, cols);
   * weight, bias: (cols).
   */
  void forward(
      ByteBuffer out,
      ByteBuffer mean,
      ByteBuffer rstd,
      ByteBuffer in,
      ByteBuffer weight,
      ByteBuffer bias,
      int cols,
      int lo,
      int hi);

  /**
   * Rows [lo, hi): adds the input gradient of the forward pass into din (rows, cols), given dout
   * (rows, cols), in (rows, cols), weight (cols) and the forward pass's mean and rstd (rows).
   */
  void inputGrad(
      ByteBuffer din,
      ByteBuffer dout,
      ByteBuffer in,
      ByteBuffer weight,
      ByteBuffer mean,
      ByteBuffer rstd,
      int cols,
      int lo,
      int hi);

  /**
   * Columns [lo, hi): adds Σ over all rows of (in − mean)·rstd·dout into dweight (cols) and of dout
   * into dbias (cols), rows in order.
   */
  void paramGrad(
      ByteBuffer dweight,
      ByteBuffer dbias,
      ByteBuffer dout,
      ByteBuffer in,
      ByteBuffer mean,
      ByteBuffer rstd,
      int rows,
      int cols,
      int lo,
      int hi);

  /**
   * The Vector API loops when the JVM can run them and its preferred vectors hold 8 or 16 floats
   * (see {@link VectorApi}); the scalar loops otherwise.
   */
  static LayerNormRows fastest() {
    return Chosen.ROWS;
  }

  /** The scalar loops, whatever the JVM offers; the reference the vector loops are tested on. */
  static LayerNormRows scalar() {
    return new ScalarLayerNormRows();
  }

  /** Holds the choice, made once per JVM on first use. */
  final class Chosen {
    static final LayerNormRows ROWS =
        VectorApi.loadOr(LayerNormRows.class, "VectorLayerNormRows", scalar());

    private Chosen() {}
  }
}
