package dev.sparkspeed.zero.backend.cuda;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/** Checks that tensors live on one backend's device and turns views into device addresses. */
final class DeviceTensors {
  private final DeviceMemoryPool pool;
  private final String backend;

  DeviceTensors(DeviceMemoryPool pool, String backend) {
    this.pool = pool;
    this.backend = backend;
  }

  /** Device address of the view's first element; 0 for a null tensor (an optional argument). */
  long ptr(Tensor t) {
    if (t == null) {
      return 0;
    }
    if (!(t.storage() instanceof DeviceBuffer d) || !d.belongsTo(pool)) {
      throw new IllegalArgumentException(
          t + " is not memory of " + backend + "; allocate it with this backend or upload it");
    }
    return d.address() + t.offset() * t.dtype().bytes();
  }

  /** {@link #ptr} after checking the dtype and that the view holds at least {@code n} elements. */
  long ptr(Tensor t, DType dtype, long n, String role) {
    require(t, dtype, role);
    if (t.size() < n) {
      throw new IllegalArgumentException(
          role + " " + t + " holds " + t.size() + " elements, the call needs " + n);
    }
    return ptr(t);
  }

  static void require(Tensor t, DType dtype, String role) {
    if (t.dtype() != dtype) {
      throw new IllegalArgumentException(role + " " + t + " must be " + dtype);
    }
  }

  /** The dtype code the kernels use (DT_FP32 0, DT_BF16 1, DT_FP16 2). */
  static int floatCode(Tensor t, String role) {
    return switch (t.dtype()) {
      case FP32 -> 0;
      case BF16 -> 1;
      case FP16 -> 2;
      case INT32 -> throw new IllegalArgumentException(role + " " + t + " must be a float type");
    };
  }
}
