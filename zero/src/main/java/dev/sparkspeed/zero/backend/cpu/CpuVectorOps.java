package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;

/** Fill, scale, axpy, norms, finiteness and dtype casts over flat tensors, split across threads. */
final class CpuVectorOps {
  /** Elements per piece below which a loop is not worth handing to another thread. */
  static final int GRAIN = 1 << 15;

  /**
   * Sums are formed per block of this many elements and then added in block order, so the result
   * does not depend on how many threads ran.
   */
  static final int SUM_BLOCK = 1 << 16;

  private final CpuThreads threads;

  CpuVectorOps(CpuThreads threads) {
    this.threads = threads;
  }

  void copy(Tensor dst, Tensor src) {
    if (dst.size() != src.size()) {
      throw new IllegalArgumentException("copy needs equal sizes: dst " + dst + ", src " + src);
    }
    int n = dst.intSize();
    DType to = dst.dtype();
    DType from = src.dtype();
    if (to == from) {
      threads.forRange(
          n,
          GRAIN,
          (lo, hi) -> {
            int b = to.bytes();
            dst.bytes().put(lo * b, src.bytes(), lo * b, (hi - lo) * b);
          });
      return;
    }
    if (to == DType.INT32 || from == DType.INT32) {
      throw new IllegalArgumentException("copy converts only between FP32, BF16, FP16: " + src);
    }
    if (to == DType.FP32) {
      FloatBuffer d = dst.floats();
      ShortBuffer s = src.shorts();
      threads.forRange(n, GRAIN, (lo, hi) -> widen(d, s, from, lo, hi));
    } else if (from == DType.FP32) {
      ShortBuffer d = dst.shorts();
      FloatBuffer s = src.floats();
      threads.forRange(n, GRAIN, (lo, hi) -> narrow(d, s, to, lo, hi));
    } else {
      ShortBuffer d = dst.shorts();
      ShortBuffer s = src.shorts();
      threads.forRange(n, GRAIN, (lo, hi) -> recode(d, s, from, to, lo, hi));
    }
  }

  private static void widen(FloatBuffer d, ShortBuffer s, DType from, int lo, int hi) {
    if (from == DType.BF16) {
      for (int i = lo; i < hi; i++) {
        d.put(i, DType.bf16ToFloat(s.get(i)));
      }
    } else {
      for (int i = lo; i < hi; i++) {
        d.put(i, DType.fp16ToFloat(s.get(i)));
      }
    }
  }

  private static void narrow(ShortBuffer d, FloatBuffer s, DType to, int lo, int hi) {
    if (to == DType.BF16) {
      for (int i = lo; i < hi; i++) {
        d.put(i, DType.floatToBf16(s.get(i)));
      }
    } else {
      for (int i = lo; i < hi; i++) {
        d.put(i, DType.floatToFp16(s.get(i)));
      }
    }
  }

  private static void recode(ShortBuffer d, ShortBuffer s, DType from, DType to, int lo, int hi) {
    for (int i = lo; i < hi; i++) {
      d.put(i, to.fromFloat(from.toFloat(s.get(i))));
    }
  }

  /**
   * Values staged per heap array in the long loops: bulk copies between a buffer and an array run
   * at memory speed, and the JIT vectorizes the loop over the array, which it does not do over an
   * off-heap buffer.
   */
  static final int CHUNK = 4096;

  void fill(Tensor t, float value) {
    Operands.requireFloating(t, "fill target");
    int n = t.intSize();
    if (t.dtype() == DType.FP32) {
      FloatBuffer x = t.floats();
      threads.forRange(
          n,
          GRAIN,
          (lo, hi) -> {
            float[] chunk = new float[Math.min(CHUNK, hi - lo)];
            Arrays.fill(chunk, value);
            for (int start = lo; start < hi; start += CHUNK) {
              x.put(start, chunk, 0, Math.min(chunk.length, hi - start));
            }
          });
    } else {
      ShortBuffer x = t.shorts();
      short bits = t.dtype().fromFloat(value);
      threads.forRange(
          n,
          GRAIN,
          (lo, hi) -> {
            short[] chunk = new short[Math.min(CHUNK, hi - lo)];
            Arrays.fill(chunk, bits);
            for (int start = lo; start < hi; start += CHUNK) {
              x.put(start, chunk, 0, Math.min(chunk.length, hi - start));
            }
          });
    }
  }

  void scale(Tensor t, float s) {
    FloatBuffer x = Operands.f32(t, 0, "scale target");
    threads.forRange(
        t.intSize(),
        GRAIN,
        (lo, hi) -> {
          float[] xa = new float[CHUNK];
          for (int start = lo; start < hi; start += CHUNK) {
            int len = Math.min(CHUNK, hi - start);
            x.get(start, xa, 0, len);
            for (int i = 0; i < len; i++) {
              xa[i] *= s;
            }
            x.put(start, xa, 0, len);
          }
        });
  }

  void axpy(Tensor y, float a, Tensor x) {
    FloatBuffer yb = Operands.f32(y, 0, "axpy y");
    FloatBuffer xb = Operands.f32(x, y.size(), "axpy x");
    threads.forRange(
        y.intSize(),
        GRAIN,
        (lo, hi) -> {
          float[] ya = new float[CHUNK];
          float[] xa = new float[CHUNK];
          for (int start = lo; start < hi; start += CHUNK) {
            int len = Math.min(CHUNK, hi - start);
            yb.get(start, ya, 0, len);
            xb.get(start, xa, 0, len);
            for (int i = 0; i < len; i++) {
              ya[i] += a * xa[i];
            }
            yb.put(start, ya, 0, len);
          }
        });
  }

  double sumOfSquares(Tensor t) {
    Operands.requireFloating(t, "sumOfSquares input");
    int n = t.intSize();
    int blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
    double[] partial = new double[blocks];
    if (t.dtype() == DType.FP32) {
      FloatBuffer x = t.floats();
      threads.forRange(
          blocks,
          1,
          (lo, hi) -> {
            // Staged through a heap array: loops over off-heap buffers pay a check per element.
            float[] buf = new float[SUM_BLOCK];
            for (int blk = lo; blk < hi; blk++) {
              int start = blk * SUM_BLOCK;
              int len = Math.min(n, start + SUM_BLOCK) - start;
              x.get(start, buf, 0, len);
              partial[blk] = squares(buf, len);
            }
          });
    } else {
      ShortBuffer x = t.shorts();
      DType type = t.dtype();
      threads.forRange(
          blocks,
          1,
          (lo, hi) -> {
            for (int blk = lo; blk < hi; blk++) {
              partial[blk] = squares(x, type, blk * SUM_BLOCK, Math.min(n, (blk + 1) * SUM_BLOCK));
            }
          });
    }
    double sum = 0;
    for (double p : partial) {
      sum += p;
    }
    return sum;
  }

  /** Σ x[0..n) in double, with four independent sums as in {@link #squares}. */
  static double sum(float[] x, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      s0 += x[i];
      s1 += x[i + 1];
      s2 += x[i + 2];
      s3 += x[i + 3];
    }
    for (; i < n; i++) {
      s0 += x[i];
    }
    return (s0 + s1) + (s2 + s3);
  }

  /** Four independent sums hide the add latency; their order is fixed, so results repeat. */
  private static double squares(float[] x, int n) {
    double s0 = 0;
    double s1 = 0;
    double s2 = 0;
    double s3 = 0;
    int i = 0;
    for (; i + 3 < n; i += 4) {
      double a = x[i];
      double b = x[i + 1];
      double c = x[i + 2];
      double d = x[i + 3];
      s0 += a * a;
      s1 += b * b;
      s2 += c * c;
      s3 += d * d;
    }
    for (; i < n; i++) {
      double v = x[i];
      s0 += v * v;
    }
    return (s0 + s1) + (s2 + s3);
  }

  private static double squares(ShortBuffer x, DType type, int lo, int hi) {
    double s = 0;
    for (int i = lo; i < hi; i++) {
      double v = type.toFloat(x.get(i));
      s += v * v;
    }
    return s;
  }

  boolean allFinite(Tensor t) {
    Operands.requireFloating(t, "allFinite input");
    int n = t.intSize();
    int blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
    boolean[] bad = new boolean[blocks];
    if (t.dtype() == DType.FP32) {
      FloatBuffer x = t.floats();
      threads.forRange(
          blocks,
          1,
          (lo, hi) -> {
            for (int blk = lo; blk < hi; blk++) {
              bad[blk] = !finite(x, blk * SUM_BLOCK, Math.min(n, (blk + 1) * SUM_BLOCK));
            }
          });
    } else {
      ShortBuffer x = t.shorts();
      int expMask = t.dtype() == DType.BF16 ? 0x7f80 : 0x7c00;
      threads.forRange(
          blocks,
          1,
          (lo, hi) -> {
            for (int blk = lo; blk < hi; blk++) {
              bad[blk] = !finite(x, expMask, blk * SUM_BLOCK, Math.min(n, (blk + 1) * SUM_BLOCK));
            }
          });
    }
    for (boolean b : bad) {
      if (b) {
        return false;
      }
    }
    return true;
  }

  private static boolean finite(FloatBuffer x, int lo, int hi) {
    // x − x is NaN exactly when x is NaN or infinite; one accumulator keeps the loop branch-free.
    float acc = 0;
    for (int i = lo; i < hi; i++) {
      float v = x.get(i);
      acc += v - v;
    }
    return acc == 0;
  }

  private static boolean finite(ShortBuffer x, int expMask, int lo, int hi) {
    for (int i = lo; i < hi; i++) {
      if ((x.get(i) & expMask) == expMask) {
        return false;
      }
    }
    return true;
  }
}
