package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Elementwise activations and the residual add, forward and backward, split across threads. GELU
 * and the residual run on {@link PointwiseLoops} (vectorized where the JVM allows); the other
 * activations stay plain loops, as GPT-2 uses only GELU.
 */
final class CpuActivations {
  /** sqrt(2/π), the GELU tanh form's scale. */
  static final double GELU_SCALE = Math.sqrt(2.0 / Math.PI);

  /** The cubic coefficient inside GELU's tanh. */
  static final double GELU_CUBIC = 0.044715;

  private final CpuThreads threads;
  private final PointwiseLoops loops;

  CpuActivations(CpuThreads threads, PointwiseLoops loops) {
    this.threads = threads;
    this.loops = loops;
  }

  void forward(Activation f, Tensor out, Tensor in, int n) {
    FloatBuffer o = Operands.f32(out, n, "activation out");
    FloatBuffer x = Operands.f32(in, n, "activation in");
    if (f == Activation.GELU) {
      ByteBuffer ob = out.bytes();
      ByteBuffer xb = in.bytes();
      threads.forRange(n, CpuVectorOps.GRAIN / 4, (lo, hi) -> loops.geluForward(ob, xb, lo, hi));
      return;
    }
    threads.forRange(n, CpuVectorOps.GRAIN / 4, (lo, hi) -> forward(f, o, x, lo, hi));
  }

  private static void forward(Activation f, FloatBuffer o, FloatBuffer x, int lo, int hi) {
    switch (f) {
      case RELU -> {
        for (int i = lo; i < hi; i++) {
          o.put(i, Math.max(x.get(i), 0f));
        }
      }
      case TANH -> {
        for (int i = lo; i < hi; i++) {
          o.put(i, (float) Math.tanh(x.get(i)));
        }
      }
      case NONE -> {
        for (int i = lo; i < hi; i++) {
          o.put(i, x.get(i));
        }
      }
    }
  }

  void backward(Activation f, Tensor din, Tensor in, Tensor dout, int n) {
    FloatBuffer dx = Operands.f32(din, n, "activation din");
    FloatBuffer x = Operands.f32(in, n, "activation in");
    FloatBuffer dy = Operands.f32(dout, n, "activation dout");
    if (f == Activation.GELU) {
      ByteBuffer dxb = din.bytes();
      ByteBuffer xb = in.bytes();
      ByteBuffer dyb = dout.bytes();
      threads.forRange(
          n, CpuVectorOps.GRAIN / 4, (lo, hi) -> loops.geluBackward(dxb, xb, dyb, lo, hi));
      return;
    }
    threads.forRange(n, CpuVectorOps.GRAIN / 4, (lo, hi) -> backward(f, dx, x, dy, lo, hi));
  }

  private static void backward(
      Activation f, FloatBuffer dx, FloatBuffer x, FloatBuffer dy, int lo, int hi) {
    switch (f) {
      case RELU -> {
        for (int i = lo; i < hi; i++) {
          dx.put(i, dx.get(i) + (x.get(i) > 0f ? dy.get(i) : 0f));
        }
      }
      case TANH -> {
        for (int i = lo; i < hi; i++) {
          double t = Math.tanh(x.get(i));
          dx.put(i, (float) (dx.get(i) + (1.0 - t * t) * dy.get(i)));
        }
      }
      case NONE -> {
        for (int i = lo; i < hi; i++) {
          dx.put(i, dx.get(i) + dy.get(i));
        }
      }
    }
  }

  void residualForward(Tensor out, Tensor a, Tensor b, int n) {
    Operands.f32(out, n, "residual out");
    Operands.f32(a, n, "residual a");
    Operands.f32(b, n, "residual b");
    ByteBuffer o = out.bytes();
    ByteBuffer x = a.bytes();
    ByteBuffer y = b.bytes();
    threads.forRange(n, CpuVectorOps.GRAIN, (lo, hi) -> loops.residualForward(o, x, y, lo, hi));
  }

  void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    Operands.f32(da, n, "residual da");
    Operands.f32(db, n, "residual db");
    Operands.f32(dout, n, "residual dout");
    ByteBuffer dx = da.bytes();
    ByteBuffer dy = db.bytes();
    ByteBuffer g = dout.bytes();
    threads.forRange(n, CpuVectorOps.GRAIN, (lo, hi) -> loops.residualBackward(dx, dy, g, lo, hi));
  }
}
