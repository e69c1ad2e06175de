package dev.sparkspeed.zero.backend.cpu;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * {@link PointwiseLoops} as plain loops staged through heap arrays, a chunk at a time (off-heap
 * loops pay a check per element, and the JIT vectorizes these array loops): the reference for every
 * other implementation.
 */
final class ScalarPointwiseLoops implements PointwiseLoops {
  /** √(2/π) in float, GELU's tanh-form scale. */
  static final float SCALE = (float) CpuActivations.GELU_SCALE;

  /** 0.044715 in float, the cubic coefficient inside GELU's tanh. */
  static final float CUBIC = (float) CpuActivations.GELU_CUBIC;

  /** GELU's tanh argument, √(2/π)·(v + 0.044715·v³). */
  static float inner(float v) {
    return SCALE * (v + CUBIC * v * v * v);
  }

  /**
   * d/dv 0.5·v·(1 + tanh u) = 0.5·(1 + t) + 0.5·v·(1 − t²)·u', given t = tanh u. On the negative
   * tail 1 + t cancels; the error there is absolute, about 4e-7·|v|.
   */
  static float slope(float v, float t) {
    float du = SCALE * (1f + 3f * CUBIC * v * v);
    return 0.5f * (1f + t) + 0.5f * v * (1f - t * t) * du;
  }

  @Override
  public void geluForward(ByteBuffer out, ByteBuffer in, int lo, int hi) {
    FloatBuffer o = out.asFloatBuffer();
    FloatBuffer x = in.asFloatBuffer();
    float[] a = new float[Math.min(CpuVectorOps.CHUNK, hi - lo)];
    for (int start = lo; start < hi; start += a.length) {
      int len = Math.min(a.length, hi - start);
      x.get(start, a, 0, len);
      for (int i = 0; i < len; i++) {
        float v = a[i];
        a[i] = 0.5f * v * (1f + CpuMath.tanh(inner(v)));
      }
      o.put(start, a, 0, len);
    }
  }

  @Override
  public void geluBackward(ByteBuffer din, ByteBuffer in, ByteBuffer dout, int lo, int hi) {
    FloatBuffer dx = din.asFloatBuffer();
    FloatBuffer x = in.asFloatBuffer();
    FloatBuffer dy = dout.asFloatBuffer();
    int c = Math.min(CpuVectorOps.CHUNK, hi - lo);
    float[] xa = new float[c];
    float[] ga = new float[c];
    float[] da = new float[c];
    float[] ta = new float[c];
    for (int start = lo; start < hi; start += c) {
      int len = Math.min(c, hi - start);
      x.get(start, xa, 0, len);
      dy.get(start, ga, 0, len);
      dx.get(start, da, 0, len);
      // Two loops: as one, the JIT leaves it scalar (about ten times slower).
      for (int i = 0; i < len; i++) {
        ta[i] = CpuMath.tanh(inner(xa[i]));
      }
      for (int i = 0; i < len; i++) {
        da[i] += slope(xa[i], ta[i]) * ga[i];
      }
      dx.put(start, da, 0, len);
    }
  }

  @Override
  public void residualForward(ByteBuffer out, ByteBuffer a, ByteBuffer b, int lo, int hi) {
    FloatBuffer o = out.asFloatBuffer();
    FloatBuffer x = a.asFloatBuffer();
    FloatBuffer y = b.asFloatBuffer();
    float[] xa = new float[Math.min(CpuVectorOps.CHUNK, hi - lo)];
    float[] ya = new float[xa.length];
    for (int start = lo; start < hi; start += xa.length) {
      int len = Math.min(xa.length, hi - start);
      x.get(start, xa, 0, len);
      y.get(start, ya, 0, len);
      for (int i = 0; i < len; i++) {
        xa[i] += ya[i];
      }
      o.put(start, xa, 0, len);
    }
  }

  @Override
  public void residualBackward(ByteBuffer da, ByteBuffer db, ByteBuffer dout, int lo, int hi) {
    FloatBuffer dx = da.asFloatBuffer();
    FloatBuffer dy = db.asFloatBuffer();
    FloatBuffer g = dout.asFloatBuffer();
    float[] ga = new float[Math.min(CpuVectorOps.CHUNK, hi - lo)];
    float[] xa = new float[ga.length];
    float[] ya = new float[ga.length];
    for (int start = lo; start < hi; start += ga.length) {
      int len = Math.min(ga.length, hi - start);
      g.get(start, ga, 0, len);
      dx.get(start, xa, 0, len);
      dy.get(start, ya, 0, len);
      for (int i = 0; i < len; i++) {
        xa[i] += ga[i];
        ya[i] += ga[i];
      }
      dx.put(start, xa, 0, len);
      dy.put(start, ya, 0, len);
    }
  }
}
