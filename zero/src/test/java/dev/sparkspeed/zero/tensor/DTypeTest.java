package dev.sparkspeed.zero.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Round-to-nearest-even conversions against an independent rule: the nearest representable value,
 * found by searching the sorted list of all finite 16-bit values, ties to the even pattern.
 */
class DTypeTest {
  private static short fp16(float f) {
    return DType.floatToFp16(f);
  }

  private static short bf16(float f) {
    return DType.floatToBf16(f);
  }

  @Test
  void fp16TiesGoToEven() {
    // 1 + 2^-11 lies halfway between 1 (0x3c00, even) and 1 + 2^-10 (0x3c01).
    assertEquals((short) 0x3c00, fp16(1f + 0x1p-11f));
    // 1 + 3·2^-11 lies halfway between 0x3c01 and 0x3c02 (even).
    assertEquals((short) 0x3c02, fp16(1f + 3 * 0x1p-11f));
    assertEquals((short) 0x3c01, fp16(1f + 0x1p-11f + 0x1p-20f), "just above a tie rounds up");
    assertEquals((short) 0xbc00, fp16(-(1f + 0x1p-11f)), "sign kept");
  }

  @Test
  void bf16TiesGoToEven() {
    assertEquals((short) 0x3f80, bf16(Float.intBitsToFloat(0x3f808000)));
    assertEquals((short) 0x3f82, bf16(Float.intBitsToFloat(0x3f818000)));
    assertEquals((short) 0x3f81, bf16(Float.intBitsToFloat(0x3f808001)));
    assertEquals((short) 0x3f80, bf16(Float.intBitsToFloat(0x3f807fff)));
  }

  @Test
  void fp16Subnormals() {
    assertEquals((short) 0x0001, fp16(0x1p-24f), "smallest subnormal");
    assertEquals((short) 0x0000, fp16(0x1p-25f), "half of it ties to even zero");
    assertEquals((short) 0x0001, fp16(0x1.8p-25f), "above the tie rounds up");
    assertEquals((short) 0x0002, fp16(0x1.8p-24f), "1.5 ulp ties to even 2");
    assertEquals((short) 0x03ff, fp16(0x1.ff8p-15f), "largest subnormal");
    assertEquals((short) 0x0400, fp16(0x1p-14f), "smallest normal");
    assertEquals((short) 0x8001, fp16(-0x1p-24f));
    assertEquals(0x1p-24f, DType.fp16ToFloat((short) 0x0001));
    assertEquals(0x1.ff8p-15f, DType.fp16ToFloat((short) 0x03ff));
  }

  @Test
  void bf16KeepsFloatSubnormals() {
    float tiny = Float.intBitsToFloat(0x00010000);
    assertEquals((short) 0x0001, bf16(tiny));
    assertEquals(tiny, DType.bf16ToFloat((short) 0x0001));
    assertEquals((short) 0x0000, bf16(Float.MIN_VALUE), "below half a bf16 ulp rounds to zero");
  }

  @Test
  void infinityNanAndOverflow() {
    assertEquals((short) 0x7c00, fp16(Float.POSITIVE_INFINITY));
    assertEquals((short) 0xfc00, fp16(Float.NEGATIVE_INFINITY));
    assertEquals((short) 0x7bff, fp16(65504f), "largest half");
    assertEquals((short) 0x7bff, fp16(65519.99f), "below the overflow threshold");
    assertEquals((short) 0x7c00, fp16(65520f), "ties to even past the largest half: infinity");
    assertEquals((short) 0xfc00, fp16(-1e6f));
    assertTrue(Float.isNaN(DType.fp16ToFloat(fp16(Float.NaN))));
    assertEquals(0x7e00, fp16(Float.NaN) & 0x7fff, "quiet NaN");

    assertEquals((short) 0x7f80, bf16(Float.POSITIVE_INFINITY));
    assertEquals((short) 0xff80, bf16(Float.NEGATIVE_INFINITY));
    assertEquals((short) 0x7f80, bf16(Float.MAX_VALUE), "rounds past the largest bf16");
    assertTrue(Float.isNaN(DType.bf16ToFloat(bf16(Float.NaN))));
    float signallingNan = Float.intBitsToFloat(0x7f800001);
    assertTrue(Float.isNaN(DType.bf16ToFloat(bf16(signallingNan))), "low-bit NaN stays NaN");
    assertEquals((short) 0x8000, bf16(-0f));
    assertEquals((short) 0x8000, fp16(-0f));
  }

  @Test
  void everyPatternRoundTrips() {
    for (int bits = 0; bits < 0x10000; bits++) {
      short h = (short) bits;
      float f = DType.fp16ToFloat(h);
      if (!Float.isNaN(f)) {
        assertEquals(h, fp16(f), "fp16 pattern " + Integer.toHexString(bits));
      }
      float g = DType.bf16ToFloat(h);
      if (!Float.isNaN(g)) {
        assertEquals(h, bf16(g), "bf16 pattern " + Integer.toHexString(bits));
      }
    }
  }

  @Test
  void randomFloatsRoundToTheNearestRepresentable() {
    double[] fp16Values = finitePositive(DType.FP16);
    double[] bf16Values = finitePositive(DType.BF16);
    Random random = new Random(5);
    for (int i = 0; i < 200_000; i++) {
      float f = Float.intBitsToFloat(random.nextInt());
      if (Float.isNaN(f)) {
        continue;
      }
      assertEquals(nearest(f, fp16Values, 65520.0), fp16(f), "fp16 of " + f);
      assertEquals(nearest(f, bf16Values, 0x1.ffp127), bf16(f), "bf16 of " + f);
    }
    // Random bit patterns rarely land in FP16's narrow range; sample it densely too.
    for (int i = 0; i < 200_000; i++) {
      float f = Math.scalb(random.nextFloat() - 0.5f, random.nextInt(44) - 26);
      assertEquals(nearest(f, fp16Values, 65520.0), fp16(f), "fp16 of " + f);
    }
  }

  /** All positive finite values of a 16-bit type, ascending (index = bit pattern). */
  private static double[] finitePositive(DType t) {
    int count = t == DType.FP16 ? 0x7c00 : 0x7f80;
    double[] v = new double[count];
    for (int i = 0; i < count; i++) {
      v[i] = t.toFloat((short) i);
    }
    return v;
  }

  /** The independent rule: nearest value by search; ties to the even pattern; overflow → ∞. */
  private static short nearest(float f, double[] values, double overflowAt) {
    double x = Math.abs((double) f);
    int sign = (Float.floatToRawIntBits(f) >>> 16) & 0x8000;
    int infinity = values.length;
    int pattern;
    if (x >= overflowAt) {
      pattern = infinity;
    } else {
      int at = Arrays.binarySearch(values, x);
      if (at >= 0) {
        pattern = at;
      } else {
        int hi = -at - 1;
        int lo = hi - 1;
        if (hi == values.length) {
          pattern = lo;
        } else {
          double dLo = x - values[lo];
          double dHi = values[hi] - x;
          pattern = dLo < dHi ? lo : dHi < dLo ? hi : (lo % 2 == 0 ? lo : hi);
        }
      }
    }
    return (short) (sign | pattern);
  }

  @Test
  void parseAndWidths() {
    assertEquals(DType.BF16, DType.parse("bf16"));
    assertEquals(2, DType.FP16.bytes());
    assertEquals(4, DType.INT32.bytes());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DType.parse("fp8"));
    assertTrue(e.getMessage().contains("fp8"));
    assertThrows(IllegalStateException.class, () -> DType.FP32.fromFloat(1f));
  }
}
