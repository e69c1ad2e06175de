package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * The allocation side both CPU backends share: tensors come from one {@link Allocator} the backend
 * owns, so closing the backend reports anything not freed.
 */
final class HostMemory implements AutoCloseable {
  private final Allocator allocator;

  HostMemory(String name, long limitBytes) {
    this.allocator = new Allocator(name, limitBytes);
  }

  Tensor allocate(String purpose, DType dtype, int... shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(purpose + ": negative dimension " + d);
      }
      n = Math.multiplyExact(n, d);
    }
    HostBuffer buffer = allocator.allocate(purpose, dtype, n);
    return Tensor.of(buffer, 0, shape);
  }

  void free(Tensor t) {
    if (!(t.storage() instanceof HostBuffer)) {
      throw new IllegalArgumentException(t + " is not host memory; free it on its own backend");
    }
    if (t.offset() != 0 || t.size() != t.storage().elements()) {
      throw new IllegalArgumentException(
          "free takes a tensor returned by allocate, not a view: " + t);
    }
    t.storage().close();
  }

  long liveBytes(String purpose) {
    return allocator.liveBytes(purpose);
  }

  long liveBytes() {
    return allocator.liveBytes();
  }

  long allocationCount() {
    return allocator.allocationCount();
  }

  /** Byte copy between two host tensors of one dtype and size (upload and download). */
  static void copyBytes(Tensor dst, Tensor src, String what) {
    if (dst.dtype() != src.dtype() || dst.size() != src.size()) {
      throw new IllegalArgumentException(
          what + " needs the same dtype and size: dst " + dst + ", src " + src);
    }
    dst.bytes().put(src.bytes());
  }

  @Override
  public void close() {
    allocator.close();
  }
}
