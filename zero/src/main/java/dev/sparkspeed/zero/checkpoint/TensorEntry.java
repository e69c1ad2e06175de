package dev.sparkspeed.zero.checkpoint;

import dev.sparkspeed.zero.tensor.DType;
import java.util.Arrays;

/**
 * Where one saved tensor lives and how to check it.
 *
 * @param name unique within the checkpoint, e.g. "rank0.optimizer.exp_avg"
 * @param dtype element type
 * @param shape dimensions, row-major
 * @param file tensor file name inside the tag directory
 * @param offset first byte within the file
 * @param length bytes, = numel × dtype size
 * @param crc32c CRC-32C of each {@code chunkBytes} piece of the data, the last one shorter
 * @param partOf the flat tensor this is a piece of, or null
 */
public record TensorEntry(
    String name,
    DType dtype,
    long[] shape,
    String file,
    long offset,
    long length,
    int[] crc32c,
    PartOf partOf) {

  /** Number of elements. */
  public long numel() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TensorEntry e
        && e.name.equals(name)
        && e.dtype == dtype
        && Arrays.equals(e.shape, shape)
        && e.file.equals(file)
        && e.offset == offset
        && e.length == length
        && Arrays.equals(e.crc32c, crc32c)
        && java.util.Objects.equals(e.partOf, partOf);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Long.hashCode(offset);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + ":" + dtype + " in " + file + "@" + offset;
  }
}
