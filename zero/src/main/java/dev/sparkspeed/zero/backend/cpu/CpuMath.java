package dev.sparkspeed.zero.backend.cpu;

/**
 * Float exponential and tanh for the hot loops (softmax over the vocabulary and over attention
 * keys; GELU). {@code Math.exp} costs several times more per value here and its double result is
 * rounded to float anyway. This one is within 3e-7 relative of the exact value (about 2 ulp) for x
 * in [−87, 88]: x = k·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), then 2^k · e^r with e^r
 * as its degree-6 Taylor polynomial, whose truncation error r^7/7! stays below 1.3e-7 on that
 * interval.
 */
final class CpuMath {
  static final float LOG2E = 1.44269504f;
  static final float LN2_HI = 0.693145751953125f;
  static final float LN2_LO = 1.428606765330187e-6f;

  /** 1.5·2^23: adding it rounds a float of magnitude below 2^22 to an integer in its low bits. */
  static final float ROUNDER = 12582912f;

  static final int ROUNDER_BITS = 0x4b400000;

  /** Beyond these e^x is not a normal float: 0 below, infinity above. */
  static final float UNDERFLOW = -87.33654f;

  static final float OVERFLOW = 88.72283f;

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

  // tanh(u) ≈ u·P(u²)/Q(u²) on |u| ≤ 9, a weighted least-squares fit to tanh(u)/u made for this
  // class (relative error below 1e-8 in exact arithmetic, 4e-7 when evaluated in float).
  static final float P0 = 9.999999934e-01f;
  static final float P1 = 1.308406536e-01f;
  static final float P2 = 3.104018033e-03f;
  static final float P3 = 1.115495793e-05f;
  static final float P4 = -2.022788128e-08f;
  static final float P5 = 5.279238003e-11f;
  static final float P6 = -8.492048709e-14f;
  static final float Q1 = 4.641739247e-01f;
  static final float Q2 = 2.449542430e-02f;
  static final float Q3 = 2.546235416e-04f;

  /** Beyond ±9 tanh is ±1 to within 3e-8, below float resolution. */
  static final float TANH_LIMIT = 9f;

  /**
   * tanh in float, within 4e-7 relative (up to 1.0000002 in magnitude) for finite u; NaN for
   * infinite or NaN u. Branch-free, with no int bit tricks, so loops calling it vectorize (max and
   * min keep the JIT from vectorizing): beyond ±9, u is divided by |u|/9 to bring it to ±9; inside,
   * the divisor is exactly 1 since excess = (y + |y|)/2 is exactly 0 for y = |u| − 9 ≤ 0.
   */
  static float tanh(float u) {
    float y = Math.abs(u) - TANH_LIMIT;
    float excess = 0.5f * y + 0.5f * Math.abs(y);
    float c = u / (1f + excess * (1f / TANH_LIMIT));
    float s = c * c;
    float p = P0 + s * (P1 + s * (P2 + s * (P3 + s * (P4 + s * (P5 + s * P6)))));
    float q = 1f + s * (Q1 + s * (Q2 + s * Q3));
    return c * p / q;
  }
}
