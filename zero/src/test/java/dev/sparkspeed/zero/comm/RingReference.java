package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.tensor.DType;

/**
 * Plain references for the ring collectives. The ring sums segment j of N near-equal segments in
 * the order x_start, x_(start+1), …, wrapping around, in FP32, and rounds 16-bit results once;
 * these loops do the same, element by element.
 */
final class RingReference {
  private RingReference() {}

  /**
   * Start of segment j when n elements are split into world segments (the first n mod world
   * longer).
   */
  static int segStart(int n, int world, int j) {
    return j * (n / world) + Math.min(j, n % world);
  }

  /** The segment holding element i. */
  static int segmentOf(int n, int world, int i) {
    for (int j = world - 1; j >= 0; j--) {
      if (i >= segStart(n, world, j)) {
        return j;
      }
    }
    throw new IllegalArgumentException("element " + i);
  }

  /** FP32 sum of x[r][i] over ranks r = start, start+1, … (mod world), left to right. */
  static float ringSum(float[][] x, int i, int start) {
    int world = x.length;
    float acc = x[start % world][i];
    for (int t = 1; t < world; t++) {
      acc += x[(start + t) % world][i];
    }
    return acc;
  }

  /** All-reduce reference: segment j starts at rank j. */
  static float[] allReduce(float[][] x) {
    int n = x[0].length;
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      out[i] = ringSum(x, i, segmentOf(n, x.length, i));
    }
    return out;
  }

  /** 16-bit all-reduce reference: widened, summed in FP32 in ring order, rounded once. */
  static short[] allReduce(DType dt, short[][] x) {
    float[][] wide = widen(dt, x);
    float[] sum = allReduce(wide);
    return narrow(dt, sum);
  }

  /** Reduce-scatter reference for rank r: its slice of m elements, summed from rank r+1. */
  static float[] reduceScatter(float[][] in, int r, int m) {
    float[] out = new float[m];
    for (int i = 0; i < m; i++) {
      out[i] = ringSum(in, r * m + i, r + 1);
    }
    return out;
  }

  static short[] reduceScatter(DType dt, short[][] in, int r, int m) {
    return narrow(dt, reduceScatter(widen(dt, in), r, m));
  }

  static float[][] widen(DType dt, short[][] x) {
    float[][] w = new float[x.length][];
    for (int r = 0; r < x.length; r++) {
      w[r] = new float[x[r].length];
      for (int i = 0; i < x[r].length; i++) {
        w[r][i] = dt.toFloat(x[r][i]);
      }
    }
    return w;
  }

  static short[] narrow(DType dt, float[] x) {
    short[] s = new short[x.length];
    for (int i = 0; i < x.length; i++) {
      s[i] = dt.fromFloat(x[i]);
    }
    return s;
  }
}
