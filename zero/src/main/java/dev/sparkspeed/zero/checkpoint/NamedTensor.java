package dev.sparkspeed.zero.checkpoint;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A tensor to save: its name, type, shape and host bytes (little-endian, position to limit).
 *
 * @param name unique within the checkpoint
 * @param dtype element type
 * @param shape dimensions, row-major
 * @param data exactly numel × dtype size bytes, from position to limit
 * @param partOf the flat tensor this is a piece of, or null
 */
public record NamedTensor(String name, DType dtype, long[] shape, ByteBuffer data, PartOf partOf) {
  public NamedTensor {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException(
            name + ": negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    if ((long) data.remaining() != Math.multiplyExact(n, (long) dtype.bytes())) {
      throw new IllegalArgumentException(
          name
              + ": shape "
              + Arrays.toString(shape)
              + " of "
              + dtype
              + " needs "
              + n * dtype.bytes()
              + " bytes, the buffer holds "
              + data.remaining());
    }
    shape = shape.clone();
    data = data.duplicate();
  }

  /** A host tensor under {@code name}, keeping its shape. */
  public static NamedTensor of(String name, Tensor t) {
    return new NamedTensor(name, t.dtype(), longs(t.shape()), t.bytes(), null);
  }

  /**
   * A host 1-D piece of a larger flat tensor: {@code t}'s elements are elements {@code [start,
   * start + t.size())} of {@code whole}, which has {@code wholeNumel} elements.
   */
  public static NamedTensor part(String name, Tensor t, String whole, long start, long wholeNumel) {
    return new NamedTensor(
        name, t.dtype(), new long[] {t.size()}, t.bytes(), new PartOf(whole, start, wholeNumel));
  }

  /** Bytes of data. */
  public long length() {
    return data.remaining();
  }

  private static long[] longs(int[] shape) {
    long[] out = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      out[i] = shape[i];
    }
    return out;
  }
}
