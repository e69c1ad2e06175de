package dev.sparkspeed.zero.backend.cuda;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.Map;
import java.util.TreeMap;

/**
 * 16-bit copies of FP32 GEMM operands for the layer GEMMs of a backend opened with {@link
 * CudaOptions#layerGemm} BF16 or FP16. Activations stay FP32 between kernels; each linear or
 * attention GEMM rounds its operands (round to nearest even) into one of a few scratch slots and
 * multiplies them on tensor cores with FP32 accumulation. A slot grows to the largest operand it
 * has held and is kept, so steady-state steps allocate nothing. Reusing a slot is safe without
 * synchronisation because every cast and GEMM is queued on the backend's one stream.
 */
final class HalfOperands implements AutoCloseable {
  /** Slot for the first activation operand (a linear input, dout, or the packed qkv). */
  static final int FIRST = 0;

  /** Slot for a weight, or the attention's dout. */
  static final int SECOND = 1;

  /** Slot for the second activation operand of a linear backward pass. */
  static final int THIRD = 2;

  private static final String PURPOSE = "gemm_operands";
  private static final String KEPT_PURPOSE = "gemm_operands_kept";

  private final DType type;
  private final DeviceMemoryPool pool;
  private final DeviceTensors tensors;
  private final CudaKernels kernels;
  private final DeviceBuffer[] slots = new DeviceBuffer[3];
  // Copies kept between keep and release, by the FP32 start address: a view inside a kept range
  // finds its part of the copy. Buffers stay by address across steps, so a steady state
  // allocates nothing.
  private final TreeMap<Long, Kept> kept = new TreeMap<>();
  private final TreeMap<Long, DeviceBuffer> keptBuffers = new TreeMap<>();

  private record Kept(long bytes, long half) {}

  HalfOperands(DType type, DeviceMemoryPool pool, DeviceTensors tensors, CudaKernels kernels) {
    if (type != DType.BF16 && type != DType.FP16) {
      throw new IllegalArgumentException("16-bit operands must be BF16 or FP16, not " + type);
    }
    this.type = type;
    this.pool = pool;
    this.tensors = tensors;
    this.kernels = kernels;
  }

  /** The 16-bit type operands are rounded to. */
  DType type() {
    return type;
  }

  /**
   * Device address of the first {@code n} elements of {@code t} in the 16-bit type: the tensor
   * itself when it already has that type, else a copy rounded into {@code slot}.
   */
  long operand(int slot, Tensor t, long n, String role) {
    if (t.dtype() == type) {
      return tensors.ptr(t, type, n, role);
    }
    return operandAt(slot, tensors.ptr(t, DType.FP32, n, role), n);
  }

  /** As {@link #operand} for n FP32 values at a device address: the kept copy, else a cast. */
  long operandAt(int slot, long src, long n) {
    Map.Entry<Long, Kept> e = kept.floorEntry(src);
    if (e != null) {
      long offset = src - e.getKey();
      if (offset + n * DType.FP32.bytes() <= e.getValue().bytes()) {
        return e.getValue().half() + offset / DType.FP32.bytes() * type.bytes();
      }
    }
    return cast(slot, src, n);
  }

  /**
   * Keeps a 16-bit copy of n FP32 values at {@code src} until {@link #release}: {@code rounded} (a
   * device address already holding them rounded), or else a copy rounded now.
   */
  void keep(long src, long n, long rounded) {
    long copy = rounded;
    if (copy == 0) {
      DeviceBuffer b = keptBuffers.get(src);
      if (b == null || b.elements() < n) {
        if (b != null) {
          b.close();
        }
        b = pool.allocate(KEPT_PURPOSE, type, Math.max(1, n));
        keptBuffers.put(src, b);
      }
      copy = b.address();
      castInto(copy, src, n);
    }
    kept.put(src, new Kept(n * DType.FP32.bytes(), copy));
  }

  /** Forgets every copy kept for FP32 memory in [start, start + bytes) (the memory is freed). */
  void forget(long start, long bytes) {
    kept.subMap(start, start + bytes).clear();
    Map<Long, DeviceBuffer> buffers = keptBuffers.subMap(start, start + bytes);
    buffers.values().forEach(DeviceBuffer::close);
    buffers.clear();
  }

  /** Forgets the copy kept for {@code src}; its buffer stays for the next keep of that address. */
  void release(long src) {
    kept.remove(src);
  }

  /** Rounds n FP32 values at device address {@code src} into {@code slot}; returns its address. */
  long cast(int slot, long src, long n) {
    long dst = reserve(slot, n);
    castInto(dst, src, n);
    return dst;
  }

  private void castInto(long dst, long src, long n) {
    long wide = CudaKernels.aligned(16, src) && CudaKernels.aligned(8, dst) ? n / 4 : 0;
    kernels.elementwise(
        "cast_f32_to_half4_kernel",
        wide,
        kernels.args().ptr(dst).ptr(src).i32(type == DType.BF16 ? 1 : 0).i64(wide));
    long done = 4 * wide;
    long rest = n - done;
    kernels.elementwise(
        "cast_kernel",
        rest,
        kernels
            .args()
            .ptr(dst + done * type.bytes())
            .i32(typeCode())
            .ptr(src + done * DType.FP32.bytes())
            .i32(typeCode(DType.FP32))
            .i64(rest));
  }

  private long reserve(int slot, long n) {
    DeviceBuffer b = slots[slot];
    if (b == null || b.elements() < n) {
      if (b != null) {
        b.close();
      }
      b = pool.allocate(PURPOSE, type, Math.max(1, n));
      slots[slot] = b;
    }
    return b.address();
  }

  private int typeCode() {
    return typeCode(type);
  }

  /** The dtype code the kernels use (DT_FP32 0, DT_BF16 1, DT_FP16 2). */
  static int typeCode(DType t) {
    return switch (t) {
      case FP32 -> 0;
      case BF16 -> 1;
      case FP16 -> 2;
      case INT32 -> throw new IllegalArgumentException("INT32 is not a float type");
    };
  }

  /** Returns the slots to the pool; the pool's own close then finds no leak. */
  @Override
  public void close() {
    kept.clear();
    keptBuffers.values().forEach(DeviceBuffer::close);
    keptBuffers.clear();
    for (int i = 0; i < slots.length; i++) {
      if (slots[i] != null) {
        slots[i].close();
        slots[i] = null;
      }
    }
  }
}
