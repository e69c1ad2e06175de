package dev.sparkspeed.zero.backend.cpu;

import static dev.sparkspeed.zero.backend.cpu.ScalarPointwiseLoops.CUBIC;
import static dev.sparkspeed.zero.backend.cpu.ScalarPointwiseLoops.SCALE;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link PointwiseLoops} on the Vector API, reading and writing the off-heap buffers in place: no
 * staging copies. Lanes repeat {@link ScalarPointwiseLoops}' and {@link CpuMath#tanh}'s float
 * operations in the same order, so results are bit-identical; the elements past the last whole
 * vector go through the scalar methods themselves.
 */
final class VectorPointwiseLoops implements PointwiseLoops {
  private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
  private static final int L = F.length();
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  /** 3·0.044715 rounded to float once, as the scalar expression 3f·CUBIC·v·v is. */
  private static final float CUBIC3 = 3f * CUBIC;

  private static FloatVector load(ByteBuffer b, int i) {
    return FloatVector.fromByteBuffer(F, b, i * Float.BYTES, ORDER);
  }

  @Override
  public void geluForward(ByteBuffer out, ByteBuffer in, int lo, int hi) {
    int i = lo;
    for (int last = hi - L; i <= last; i += L) {
      FloatVector v = load(in, i);
      v.mul(0.5f).mul(tanh(inner(v)).add(1f)).intoByteBuffer(out, i * Float.BYTES, ORDER);
    }
    for (; i < hi; i++) {
      float v = in.getFloat(i * Float.BYTES);
      out.putFloat(i * Float.BYTES, 0.5f * v * (1f + CpuMath.tanh(ScalarPointwiseLoops.inner(v))));
    }
  }

  @Override
  public void geluBackward(ByteBuffer din, ByteBuffer in, ByteBuffer dout, int lo, int hi) {
    // Two methods, a chunk at a time: as one loop, C2 reaches its node-count limit for inlining
    // part-way through the Vector API calls, and vectors passed to calls it did not inline are
    // boxed (twice as slow as the scalar loops); split, the limit falls at the second call.
    float[] t = new float[Math.min(CpuVectorOps.CHUNK, hi - lo)];
    for (int start = lo; start < hi; start += t.length) {
      int len = Math.min(t.length, hi - start);
      tanhOfInner(t, in, start, len);
      addSlope(din, in, dout, t, start, len);
    }
  }

  /** t[k] = tanh(inner(in[start + k])) for k in [0, len). */
  private static void tanhOfInner(float[] t, ByteBuffer in, int start, int len) {
    int k = 0;
    for (int last = len - L; k <= last; k += L) {
      tanh(inner(load(in, start + k))).intoArray(t, k);
    }
    for (; k < len; k++) {
      t[k] = CpuMath.tanh(ScalarPointwiseLoops.inner(in.getFloat((start + k) * Float.BYTES)));
    }
  }

  /** din += slope·dout over [start, start + len), given t from {@link #tanhOfInner}. */
  private static void addSlope(
      ByteBuffer din, ByteBuffer in, ByteBuffer dout, float[] t, int start, int len) {
    FloatVector one = FloatVector.broadcast(F, 1f);
    int k = 0;
    for (int last = len - L; k <= last; k += L) {
      int i = start + k;
      FloatVector v = load(in, i);
      FloatVector tk = FloatVector.fromArray(F, t, k);
      FloatVector du = v.mul(CUBIC3).mul(v).add(1f).mul(SCALE);
      FloatVector slope = tk.add(1f).mul(0.5f).add(v.mul(0.5f).mul(one.sub(tk.mul(tk))).mul(du));
      load(din, i).add(slope.mul(load(dout, i))).intoByteBuffer(din, i * Float.BYTES, ORDER);
    }
    for (; k < len; k++) {
      int at = (start + k) * Float.BYTES;
      float slope = ScalarPointwiseLoops.slope(in.getFloat(at), t[k]);
      din.putFloat(at, din.getFloat(at) + slope * dout.getFloat(at));
    }
  }

  @Override
  public void residualForward(ByteBuffer out, ByteBuffer a, ByteBuffer b, int lo, int hi) {
    int i = lo;
    for (int last = hi - L; i <= last; i += L) {
      load(a, i).add(load(b, i)).intoByteBuffer(out, i * Float.BYTES, ORDER);
    }
    for (; i < hi; i++) {
      int at = i * Float.BYTES;
      out.putFloat(at, a.getFloat(at) + b.getFloat(at));
    }
  }

  @Override
  public void residualBackward(ByteBuffer da, ByteBuffer db, ByteBuffer dout, int lo, int hi) {
    int i = lo;
    for (int last = hi - L; i <= last; i += L) {
      FloatVector g = load(dout, i);
      load(da, i).add(g).intoByteBuffer(da, i * Float.BYTES, ORDER);
      load(db, i).add(g).intoByteBuffer(db, i * Float.BYTES, ORDER);
    }
    for (; i < hi; i++) {
      int at = i * Float.BYTES;
      float g = dout.getFloat(at);
      da.putFloat(at, da.getFloat(at) + g);
      db.putFloat(at, db.getFloat(at) + g);
    }
  }

  /** {@link ScalarPointwiseLoops#inner}, lane by lane. */
  private static FloatVector inner(FloatVector v) {
    return v.add(v.mul(CUBIC).mul(v).mul(v)).mul(SCALE);
  }

  /** {@link CpuMath#tanh}, lane by lane, in the same operations. */
  private static FloatVector tanh(FloatVector u) {
    FloatVector y = u.abs().sub(CpuMath.TANH_LIMIT);
    FloatVector excess = y.mul(0.5f).add(y.abs().mul(0.5f));
    FloatVector c = u.div(excess.mul(1f / CpuMath.TANH_LIMIT).add(1f));
    FloatVector s = c.mul(c);
    FloatVector p =
        s.mul(CpuMath.P6)
            .add(CpuMath.P5)
            .mul(s)
            .add(CpuMath.P4)
            .mul(s)
            .add(CpuMath.P3)
            .mul(s)
            .add(CpuMath.P2)
            .mul(s)
            .add(CpuMath.P1)
            .mul(s)
            .add(CpuMath.P0);
    FloatVector q = s.mul(CpuMath.Q3).add(CpuMath.Q2).mul(s).add(CpuMath.Q1).mul(s).add(1f);
    return c.mul(p).div(q);
  }
}
