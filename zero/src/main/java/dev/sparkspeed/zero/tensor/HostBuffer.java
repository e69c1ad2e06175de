package dev.sparkspeed.zero.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;

/**
 * One off-heap allocation in native byte order. The same bytes can go to OpenBLAS, a socket, a file
 * channel or a CUDA copy without copying. Indexes are in elements of {@link #dtype()}. Closing
 * frees the memory at once (not at garbage collection).
 */
public final class HostBuffer implements Storage {
  private final Allocator owner;
  private final String purpose;
  private final DType dtype;
  private final long elements;
  private ByteBuffer bytes;

  HostBuffer(Allocator owner, String purpose, DType dtype, long elements) {
    this.owner = owner;
    this.purpose = purpose;
    this.dtype = dtype;
    this.elements = elements;
    this.bytes =
        ByteBuffer.allocateDirect((int) (elements * dtype.bytes())).order(ByteOrder.nativeOrder());
  }

  @Override
  public DType dtype() {
    return dtype;
  }

  @Override
  public long elements() {
    return elements;
  }

  @Override
  public String purpose() {
    return purpose;
  }

  /** Size in bytes. */
  public long bytes() {
    return elements * dtype.bytes();
  }

  /** The whole allocation as native-order bytes, position 0. */
  public ByteBuffer byteBuffer() {
    return live().duplicate().order(ByteOrder.nativeOrder());
  }

  /** The whole allocation as floats; only for FP32. */
  public FloatBuffer floats() {
    require(DType.FP32);
    return live().asFloatBuffer();
  }

  /** The whole allocation as 16-bit patterns; only for BF16 and FP16. */
  public ShortBuffer shorts() {
    if (!dtype.isHalf()) {
      throw new IllegalStateException(purpose + " holds " + dtype + ", not a 16-bit type");
    }
    return live().asShortBuffer();
  }

  /** The whole allocation as ints; only for INT32. */
  public IntBuffer ints() {
    require(DType.INT32);
    return live().asIntBuffer();
  }

  /** True once closed. */
  public boolean isClosed() {
    return bytes == null;
  }

  private ByteBuffer live() {
    ByteBuffer b = bytes;
    if (b == null) {
      throw new IllegalStateException("buffer '" + purpose + "' used after close");
    }
    return b;
  }

  private void require(DType expected) {
    if (dtype != expected) {
      throw new IllegalStateException(purpose + " holds " + dtype + ", not " + expected);
    }
  }

  @Override
  public void close() {
    ByteBuffer b = bytes;
    if (b != null) {
      bytes = null;
      DirectMemory.free(b);
      owner.release(this);
    }
  }
}
