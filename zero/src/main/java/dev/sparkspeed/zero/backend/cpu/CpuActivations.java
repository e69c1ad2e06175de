package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

/** Elementwise activations and the residual add, forward and backward, split across threads. */
final class CpuActivations {
  /** sqrt(2/π), the GELU tanh form's scale. */
  static final double GELU_SCALE = Math.sqrt(2.0 / Math.PI);

  /** The cubic coefficient inside GELU's tanh. */
  static final double GELU_CUBIC = 0.044715;

  private static final float SCALE_F = (float) GELU_SCALE;
  private static final float CUBIC_F = (float) GELU_CUBIC;

  private final CpuThreads threads;

  CpuActivations(CpuThreads threads) {
    this.threads = threads;
  }

  void forward(Activation f, Tensor out, Tensor in, int n) {
    FloatBuffer o = Operands.f32(out, n, "activation out");
    FloatBuffer x = Operands.f32(in, n, "activation in");
    threads.forRange(n, CpuVectorOps.GRAIN / 4, (lo, hi) -> forward(f, o, x, lo, hi));
  }

  private static void forward(Activation f, FloatBuffer o, FloatBuffer x, int lo, int hi) {
    switch (f) {
      case GELU -> {
        // 0.5·x·(1 + tanh u) with the branch-free tanh, so the loop vectorizes. On the negative
        // tail 1 + tanh u cancels; the error there is absolute, about 4e-7·|x|.
        // Staged through a heap array: off-heap loops pay a check per element.
        float[] a = new float[Math.min(CpuVectorOps.CHUNK, hi - lo)];
        for (int start = lo; start < hi; start += a.length) {
          int len = Math.min(a.length, hi - start);
          x.get(start, a, 0, len);
          for (int i = 0; i < len; i++) {
            float v = a[i];
            float u = SCALE_F * (v + CUBIC_F * v * v * v);
            a[i] = 0.5f * v * (1f + CpuMath.tanh(u));
          }
          o.put(start, a, 0, len);
        }
      }
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
    threads.forRange(n, CpuVectorOps.GRAIN / 4, (lo, hi) -> backward(f, dx, x, dy, lo, hi));
  }

  private static void backward(
      Activation f, FloatBuffer dx, FloatBuffer x, FloatBuffer dy, int lo, int hi) {
    switch (f) {
      case GELU -> {
        // d/dx 0.5·x·(1 + tanh u) = 0.5·(1 + t) + 0.5·x·(1 − t²)·u' with t = tanh u.
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
            float v = xa[i];
            ta[i] = CpuMath.tanh(SCALE_F * (v + CUBIC_F * v * v * v));
          }
          for (int i = 0; i < len; i++) {
            float v = xa[i];
            float t = ta[i];
            float du = SCALE_F * (1f + 3f * CUBIC_F * v * v);
            da[i] += (0.5f * (1f + t) + 0.5f * v * (1f - t * t) * du) * ga[i];
          }
          dx.put(start, da, 0, len);
        }
      }
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
    FloatBuffer o = Operands.f32(out, n, "residual out");
    FloatBuffer x = Operands.f32(a, n, "residual a");
    FloatBuffer y = Operands.f32(b, n, "residual b");
    threads.forRange(
        n,
        CpuVectorOps.GRAIN,
        (lo, hi) -> {
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
        });
  }

  void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    FloatBuffer dx = Operands.f32(da, n, "residual da");
    FloatBuffer dy = Operands.f32(db, n, "residual db");
    FloatBuffer g = Operands.f32(dout, n, "residual dout");
    threads.forRange(
        n,
        CpuVectorOps.GRAIN,
        (lo, hi) -> {
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
        });
  }
}
