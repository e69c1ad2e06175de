package dev.sparkspeed.zero.checkpoint;

import dev.sparkspeed.zero.tensor.DType;
import java.util.Arrays;
import java.util.Map;

/**
 * One tensor of a safetensors file, as its header describes it.
 *
 * @param name the header key
 * @param dtype the safetensors type code: "F32", "BF16", "F16", "I32", ...
 * @param shape dimensions, row-major
 * @param begin first byte within the data region (after the header)
 * @param end one past the last byte within the data region
 */
public record SafetensorsEntry(String name, String dtype, long[] shape, long begin, long end) {
  /** Bytes per element of every safetensors type code. */
  static final Map<String, Integer> TYPE_BYTES =
      Map.ofEntries(
          Map.entry("BOOL", 1),
          Map.entry("U8", 1),
          Map.entry("I8", 1),
          Map.entry("F8_E5M2", 1),
          Map.entry("F8_E4M3", 1),
          Map.entry("I16", 2),
          Map.entry("U16", 2),
          Map.entry("F16", 2),
          Map.entry("BF16", 2),
          Map.entry("I32", 4),
          Map.entry("U32", 4),
          Map.entry("F32", 4),
          Map.entry("F64", 8),
          Map.entry("I64", 8),
          Map.entry("U64", 8));

  /** The safetensors code of an engine type. */
  public static String code(DType t) {
    return switch (t) {
      case FP32 -> "F32";
      case BF16 -> "BF16";
      case FP16 -> "F16";
      case INT32 -> "I32";
    };
  }

  /** The engine type of this entry; fails for types the engine does not compute in (F64, ...). */
  public DType engineType() {
    return switch (dtype) {
      case "F32" -> DType.FP32;
      case "BF16" -> DType.BF16;
      case "F16" -> DType.FP16;
      case "I32" -> DType.INT32;
      default ->
          throw new IllegalArgumentException(
              "tensor "
                  + name
                  + " has safetensors dtype "
                  + dtype
                  + "; convert it to F32, BF16,"
                  + " F16 or I32");
    };
  }

  /** Bytes per element. */
  public int elementBytes() {
    return TYPE_BYTES.get(dtype);
  }

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
    return o instanceof SafetensorsEntry e
        && e.name.equals(name)
        && e.dtype.equals(dtype)
        && Arrays.equals(e.shape, shape)
        && e.begin == begin
        && e.end == end;
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + Long.hashCode(begin);
  }

  @Override
  public String toString() {
    return name + Arrays.toString(shape) + ":" + dtype + "[" + begin + ", " + end + ")";
  }
}
