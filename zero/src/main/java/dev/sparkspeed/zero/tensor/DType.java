package dev.sparkspeed.zero.tensor;

/**
 * Element types the engine stores. 16-bit conversions round to nearest, ties to even, the way
 * CUDA's {@code __float2bfloat16_rn} and {@code __float2half_rn} do, so CPU and GPU copies agree
 * bit for bit.
 */
public enum DType {
  FP32(4),
  BF16(2),
  FP16(2),
  INT32(4);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** True for the two 16-bit float types. */
  public boolean isHalf() {
    return this == BF16 || this == FP16;
  }

  /** Parses the names used in configs and manifests ("fp32", "bf16", "fp16", "int32"). */
  public static DType parse(String name) {
    for (DType t : values()) {
      if (t.name().equalsIgnoreCase(name)) {
        return t;
      }
    }
    throw new IllegalArgumentException(
        "unknown dtype '" + name + "': expected one of fp32, bf16, fp16, int32");
  }

  /** Converts a float to the 16-bit pattern of this type; FP32 and INT32 are not 16-bit. */
  public short fromFloat(float f) {
    return switch (this) {
      case BF16 -> floatToBf16(f);
      case FP16 -> floatToFp16(f);
      default -> throw new IllegalStateException(this + " is not a 16-bit type");
    };
  }

  /** Widens a 16-bit pattern of this type to float. */
  public float toFloat(short bits) {
    return switch (this) {
      case BF16 -> bf16ToFloat(bits);
      case FP16 -> fp16ToFloat(bits);
      default -> throw new IllegalStateException(this + " is not a 16-bit type");
    };
  }

  /** bfloat16 from float, round to nearest even; NaN stays a quiet NaN. */
  public static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x0040);
    }
    int lsb = (bits >>> 16) & 1;
    bits += 0x7fff + lsb;
    return (short) (bits >>> 16);
  }

  /** float from bfloat16 (exact). */
  public static float bf16ToFloat(short h) {
    return Float.intBitsToFloat((h & 0xffff) << 16);
  }

  /** IEEE half from float, round to nearest even, overflow to infinity, subnormals kept. */
  public static short floatToFp16(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs > 0x7f800000) {
      return (short) (sign | 0x7e00);
    }
    if (abs >= 0x477ff000) {
      // At or above 65520 rounds to infinity.
      return (short) (sign | 0x7c00);
    }
    if (abs < 0x38800000) {
      // Below the smallest normal half (2^-14): subnormal or zero.
      if (abs < 0x33000000) {
        return (short) sign;
      }
      int exp = abs >>> 23;
      int mant = (abs & 0x7fffff) | 0x800000;
      int shift = 126 - exp;
      int half = mant >>> shift;
      int rem = mant & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rem > mid || (rem == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int rounded = abs + 0xfff + ((abs >>> 13) & 1);
    return (short) (sign | ((rounded - 0x38000000) >>> 13));
  }

  /** float from IEEE half (exact). */
  public static float fp16ToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;
      return sign != 0 ? -v : v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
