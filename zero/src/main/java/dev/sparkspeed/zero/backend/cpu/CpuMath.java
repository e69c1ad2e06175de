package dev.sparkspeed.zero.backend.cpu;

/**
 * Float exponential for the hot loops (softmax over the vocabulary and over attention keys, GELU).
 * {@code Math.exp} costs several times more per value here and its double result is rounded to
 * float anyway. This one is within 3e-7 relative of the exact value (about 2 ulp) for x in [−87,
 * 88]: x = k·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), then 2^k · e^r with e^r as its
 * degree-6 Taylor polynomial, whose truncation error r^7/7! stays below 1.3e-7 on that interval.
 */
final class CpuMath {
  private static final float LOG2E = 1.44269504f;
  private static final float LN2_HI = 0.693145751953125f;
  private static final float LN2_LO = 1.428606765330187e-6f;

  /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to an integer in its low bits. */
  private static final float ROUNDER = 12582912f;

  private static final int ROUNDER_BITS = 0x4b400000;

  /** Beyond these e^x is not a normal float: 0 below, infinity above. */
  private static final float UNDERFLOW = -87.33654f;

  private static final float OVERFLOW = 88.72283f;

  private CpuMath() {}

  /** e^x in float; 0 below −87.34 (no subnormal results), infinity above 88.72, NaN for NaN. */
  static float exp(float x) {
    if (x < UNDERFLOW) {
      return 0f;
    }
    if (x > OVERFLOW) {
      return Float.POSITIVE_INFINITY;
    }
    float t = x * LOG2E + ROUNDER;
    int k = Float.floatToRawIntBits(t) - ROUNDER_BITS;
    float kf = t - ROUNDER;
    float r = x - kf * LN2_HI - kf * LN2_LO;
    float p =
        1f + r * (1f + r * (0.5f + r * (1f / 6 + r * (1f / 24 + r * (1f / 120 + r * (1f / 720))))));
    // k can reach 128 just below OVERFLOW; split 2^k in two factors so neither overflows.
    int half = k >> 1;
    return p
        * Float.intBitsToFloat((half + 127) << 23)
        * Float.intBitsToFloat((k - half + 127) << 23);
  }

  /** 1 / (1 + e^−z), accurate in relative terms on both tails. */
  static float sigmoid(float z) {
    return 1f / (1f + exp(-z));
  }
}
