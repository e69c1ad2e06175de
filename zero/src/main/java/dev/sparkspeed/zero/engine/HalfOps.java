package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Accumulation into 16-bit (or FP32) gradient storage through a fixed FP32 scratch, chunk by chunk,
 * so 16-bit tensors never need a full-size FP32 twin.
 */
final class HalfOps implements AutoCloseable {
  static final int CHUNK = 1 << 20;
  private final Backend backend;
  private final Tensor scratch;

  HalfOps(Backend backend) {
    this.backend = backend;
    this.scratch = backend.allocate("half_scratch", DType.FP32, CHUNK);
  }

  /** dst += src; src FP32; dst FP32 or 16-bit (rounded once per accumulation). */
  void addInto(Tensor dst, Tensor src) {
    if (dst.dtype() == DType.FP32) {
      backend.axpy(dst, 1f, src);
      return;
    }
    long n = src.size();
    for (long off = 0; off < n; off += CHUNK) {
      int len = (int) Math.min(CHUNK, n - off);
      Tensor s = scratch.view(0, len);
      Tensor d = dst.view(off, len);
      backend.copy(s, d);
      backend.axpy(s, 1f, src.view(off, len));
      backend.copy(d, s);
    }
  }

  /** FP32 view of {@code src} (FP32 as is, 16-bit widened into the scratch); len ≤ CHUNK. */
  Tensor widen(Tensor src, long off, int len) {
    if (src.dtype() == DType.FP32) {
      return src.view(off, len);
    }
    Tensor s = scratch.view(0, len);
    backend.copy(s, src.view(off, len));
    return s;
  }

  @Override
  public void close() {
    backend.free(scratch);
  }
}
