package dev.sparkspeed.zero.tensor;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/**
 * A shaped view into a {@link Storage}: parameters, gradients and activations are all views into a
 * few flat allocations. A view does not own memory; closing is the storage owner's job.
 */
public final class Tensor {
  private final Storage storage;
  private final long offset;
  private final int[] shape;
  private final long size;

  private Tensor(Storage storage, long offset, int[] shape) {
    long n = 1;
    for (int d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    if (offset < 0 || offset + n > storage.elements()) {
      throw new IndexOutOfBoundsException(
          "view "
              + Arrays.toString(shape)
              + " at "
              + offset
              + " outside "
              + storage.purpose()
              + " of "
              + storage.elements()
              + " elements");
    }
    this.storage = storage;
    this.offset = offset;
    this.shape = shape.clone();
    this.size = n;
  }

  /** A view of {@code shape} starting at element {@code offset} of {@code storage}. */
  public static Tensor of(Storage storage, long offset, int... shape) {
    return new Tensor(storage, offset, shape);
  }

  /** The whole storage as a 1-D tensor. */
  public static Tensor whole(Storage storage) {
    return new Tensor(storage, 0, new int[] {Math.toIntExact(storage.elements())});
  }

  /** A sub-view at {@code relOffset} elements from this view's start. */
  public Tensor view(long relOffset, int... newShape) {
    Tensor t = new Tensor(storage, offset + relOffset, newShape);
    if (relOffset + t.size > size) {
      throw new IndexOutOfBoundsException(
          "sub-view " + Arrays.toString(newShape) + " at " + relOffset + " outside " + this);
    }
    return t;
  }

  /** The same elements with another shape of equal size. */
  public Tensor reshape(int... newShape) {
    Tensor t = new Tensor(storage, offset, newShape);
    if (t.size != size) {
      throw new IllegalArgumentException(
          "cannot reshape " + this + " to " + Arrays.toString(newShape));
    }
    return t;
  }

  public Storage storage() {
    return storage;
  }

  public DType dtype() {
    return storage.dtype();
  }

  /** Start, in elements, within the storage. */
  public long offset() {
    return offset;
  }

  public int[] shape() {
    return shape.clone();
  }

  public int dim(int i) {
    return shape[i];
  }

  public int rank() {
    return shape.length;
  }

  /** Number of elements. */
  public long size() {
    return size;
  }

  /** Number of elements as an int (host kernels index with ints). */
  public int intSize() {
    return Math.toIntExact(size);
  }

  /** True when the storage is host memory. */
  public boolean isHost() {
    return storage instanceof HostBuffer;
  }

  /** The view's floats, index 0 at the view's start; host FP32 only. */
  public FloatBuffer floats() {
    return host().floats().slice(Math.toIntExact(offset), intSize());
  }

  /** The view's 16-bit patterns; host BF16/FP16 only. */
  public ShortBuffer shorts() {
    return host().shorts().slice(Math.toIntExact(offset), intSize());
  }

  /** The view's ints; host INT32 only. */
  public IntBuffer ints() {
    return host().ints().slice(Math.toIntExact(offset), intSize());
  }

  /** The view's bytes in native order; host only. */
  public ByteBuffer bytes() {
    int b = dtype().bytes();
    return host()
        .byteBuffer()
        .slice(Math.toIntExact(offset * b), Math.toIntExact(size * b))
        .order(java.nio.ByteOrder.nativeOrder());
  }

  private HostBuffer host() {
    if (storage instanceof HostBuffer h) {
      return h;
    }
    throw new IllegalStateException(storage.purpose() + " is device memory; copy it to the host");
  }

  @Override
  public String toString() {
    return storage.purpose() + "[" + offset + "]" + Arrays.toString(shape) + ":" + dtype();
  }
}
