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
    if (f == Activation.GELU) {
      ByteBuffer ob = Operands.f32Bytes(out, n, "activation out");
      ByteBuffer xb = Operands.f32Bytes(in, n, "activation in");
      threads.forRange(n, CpuVectorOps.GRAIN / 4, (lo, hi) -> loops.geluForward(ob, xb, lo, hi));
      return;
    }
    FloatBuffer o = Operands.f32(out, n, "activation out");
    FloatBuffer x = Operands.f32(in, n, "activation in");
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
    if (f == Activation.GELU) {
      ByteBuffer dxb = Operands.f32Bytes(din, n, "activation din");
      ByteBuffer xb = Operands.f32Bytes(in, n, "activation in");
      ByteBuffer dyb = Operands.f32Bytes(dout, n, "activation dout");
      threads.forRange(
          n, CpuVectorOps.GRAIN / 4, (lo, hi) -> loops.geluBackward(dxb, xb, dyb, lo, hi));
      return;
    }
    FloatBuffer dx = Operands.f32(din, n, "activation din");
    FloatBuffer x = Operands.f32(in, n, "activation in");
    FloatBuffer dy = Operands.f32(dout, n, "activation dout");
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
    ByteBuffer o = Operands.f32Bytes(out, n, "residual out");
    ByteBuffer x = Operands.f32Bytes(a, n, "residual a");
    ByteBuffer y = Operands.f32Bytes(b, n, "residual b");
    threads.forRange(n, CpuVectorOps.GRAIN, (lo, hi) -> loops.residualForward(o, x, y, lo, hi));
  }

  void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    ByteBuffer dx = Operands.f32Bytes(da, n, "residual da");
    ByteBuffer dy = Operands.f32Bytes(db, n, "residual db");
    ByteBuffer g = Operands.f32Bytes(dout, n, "residual dout");
    threads.forRange(n, CpuVectorOps.GRAIN, (lo, hi) -> loops.residualBackward(dx, dy, g, lo, hi));
  }
}
