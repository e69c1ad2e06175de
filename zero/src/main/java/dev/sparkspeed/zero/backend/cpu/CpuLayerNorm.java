package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;

/**
 * Layer normalisation over the last dimension, forward and backward, on {@link LayerNormRows}
 * (vectorized where the JVM allows), rows split across threads.
 */
final class CpuLayerNorm {
  /** Added to the variance before the square root, as in GPT-2. */
  static final double EPS = 1e-5;

  private final CpuThreads threads;
  private final LayerNormRows kernels;

  CpuLayerNorm(CpuThreads threads, LayerNormRows kernels) {
    this.threads = threads;
    this.kernels = kernels;
  }

  void forward(
      Tensor out,
      Tensor mean,
      Tensor rstd,
      Tensor in,
      Tensor weight,
      Tensor bias,
      int rows,
      int cols) {
    long n = (long) rows * cols;
    ByteBuffer o = Operands.f32Bytes(out, n, "layerNorm out");
    ByteBuffer mu = Operands.f32Bytes(mean, rows, "layerNorm mean");
    ByteBuffer rs = Operands.f32Bytes(rstd, rows, "layerNorm rstd");
    ByteBuffer x = Operands.f32Bytes(in, n, "layerNorm in");
    ByteBuffer w = Operands.f32Bytes(weight, cols, "layerNorm weight");
    ByteBuffer b = Operands.f32Bytes(bias, cols, "layerNorm bias");
    threads.forRange(rows, 4, (lo, hi) -> kernels.forward(o, mu, rs, x, w, b, cols, lo, hi));
  }

  void backward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      Tensor mean,
      Tensor rstd,
      int rows,
      int cols) {
    long n = (long) rows * cols;
    ByteBuffer dx = Operands.f32Bytes(din, n, "layerNorm din");
    ByteBuffer dw = Operands.f32Bytes(dweight, cols, "layerNorm dweight");
    ByteBuffer db = Operands.f32Bytes(dbias, cols, "layerNorm dbias");
    ByteBuffer g = Operands.f32Bytes(dout, n, "layerNorm dout");
    ByteBuffer x = Operands.f32Bytes(in, n, "layerNorm in");
    ByteBuffer w = Operands.f32Bytes(weight, cols, "layerNorm weight");
    ByteBuffer mu = Operands.f32Bytes(mean, rows, "layerNorm mean");
    ByteBuffer rs = Operands.f32Bytes(rstd, rows, "layerNorm rstd");
    threads.forRange(rows, 4, (lo, hi) -> kernels.inputGrad(dx, g, x, w, mu, rs, cols, lo, hi));
    // Parameter gradients sum over rows: splitting by column keeps threads apart and the row
    // order fixed, so the sum is the same whatever the thread count.
    threads.forRange(
        cols, 64, (lo, hi) -> kernels.paramGrad(dw, db, g, x, mu, rs, rows, cols, lo, hi));
  }
}
