package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Random host tensors from a test's own allocator (tight limit, closed and leak-checked by {@link
 * #close}), and tolerance checks.
 */
final class TestTensors implements AutoCloseable {
  private final Allocator allocator = new Allocator("test-inputs", 256L << 20);
  private final List<HostBuffer> buffers = new ArrayList<>();
  private final Random random;

  TestTensors(long seed) {
    this.random = new Random(seed);
  }

  private HostBuffer buffer(DType dtype, long n) {
    HostBuffer b = allocator.allocate("test", dtype, n);
    buffers.add(b);
    return b;
  }

  /** Frees every tensor made here, then closes the allocator (which checks for leaks). */
  @Override
  public void close() {
    buffers.forEach(HostBuffer::close);
    allocator.close();
  }

  Random random() {
    return random;
  }

  /** A zero FP32 tensor. */
  Tensor zeros(int... shape) {
    long n = 1;
    for (int d : shape) {
      n *= d;
    }
    return Tensor.of(buffer(DType.FP32, n), 0, shape);
  }

  /** A zero tensor of any dtype. */
  Tensor zeros(DType dtype, int n) {
    return Tensor.of(buffer(dtype, n), 0, n);
  }

  /** An FP32 tensor of uniform values in [-scale, scale). */
  Tensor uniform(float scale, int... shape) {
    Tensor t = zeros(shape);
    FloatBuffer f = t.floats();
    for (int i = 0; i < f.capacity(); i++) {
      f.put(i, (random.nextFloat() * 2 - 1) * scale);
    }
    return t;
  }

  /** An FP32 tensor holding these values. */
  Tensor of(double[] values, int... shape) {
    Tensor t = zeros(shape);
    for (int i = 0; i < values.length; i++) {
      t.floats().put(i, (float) values[i]);
    }
    return t;
  }

  /** An INT32 tensor holding these values. */
  Tensor ints(int[] values, int... shape) {
    Tensor t = Tensor.of(buffer(DType.INT32, values.length), 0, shape);
    IntBuffer b = t.ints();
    for (int i = 0; i < values.length; i++) {
      b.put(i, values[i]);
    }
    return t;
  }

  /** An FP32 copy of t (its own storage). */
  Tensor copyOf(Tensor t) {
    Tensor c = zeros(t.shape());
    c.floats().put(t.floats());
    return c;
  }

  static double[] toDoubles(Tensor t) {
    FloatBuffer f = t.floats();
    double[] d = new double[f.capacity()];
    for (int i = 0; i < d.length; i++) {
      d[i] = f.get(i);
    }
    return d;
  }

  static int[] toInts(Tensor t) {
    IntBuffer b = t.ints();
    int[] d = new int[b.capacity()];
    for (int i = 0; i < d.length; i++) {
      d[i] = b.get(i);
    }
    return d;
  }

  /** after − before, elementwise. */
  static double[] minus(Tensor after, Tensor before) {
    double[] a = toDoubles(after);
    double[] b = toDoubles(before);
    for (int i = 0; i < a.length; i++) {
      a[i] -= b[i];
    }
    return a;
  }

  /**
   * Fails unless every |expected − actual| ≤ tol · (|expected| + rms(expected)): relative where a
   * value is large, relative to the tensor's scale where it is near zero.
   */
  static void assertClose(String what, double[] expected, double[] actual, double tol) {
    assertTrue(expected.length == actual.length, what + ": lengths differ");
    double sq = 0;
    for (double e : expected) {
      sq += e * e;
    }
    double rms = Math.sqrt(sq / Math.max(1, expected.length));
    double worst = 0;
    int worstAt = -1;
    for (int i = 0; i < expected.length; i++) {
      double err = Math.abs(expected[i] - actual[i]) / (Math.abs(expected[i]) + rms + 1e-30);
      if (!(err <= worst)) {
        worst = err;
        worstAt = i;
      }
    }
    String detail =
        worstAt < 0
            ? ""
            : " at " + worstAt + ": expected " + expected[worstAt] + ", got " + actual[worstAt];
    assertTrue(worst <= tol, what + ": relative error " + worst + " > " + tol + detail);
  }

  static void assertClose(String what, Tensor expected, Tensor actual, double tol) {
    assertClose(what, toDoubles(expected), toDoubles(actual), tol);
  }

  /**
   * Gradient check: max |numeric − analytic| / max |numeric| below tol. A norm-wise measure, as
   * components near zero carry finite-difference noise unrelated to the kernel.
   */
  static void assertGradient(String what, double[] numeric, double[] analytic, double tol) {
    assertTrue(numeric.length == analytic.length, what + ": lengths differ");
    double scale = 0;
    double worst = 0;
    int worstAt = 0;
    for (int i = 0; i < numeric.length; i++) {
      scale = Math.max(scale, Math.abs(numeric[i]));
      double err = Math.abs(numeric[i] - analytic[i]);
      if (!(err <= worst)) {
        worst = err;
        worstAt = i;
      }
    }
    assertTrue(scale > 0, what + ": numeric gradient is all zero, the check would prove nothing");
    double rel = worst / scale;
    assertTrue(
        rel < tol,
        what
            + ": relative error "
            + rel
            + " at "
            + worstAt
            + " (numeric "
            + numeric[worstAt]
            + ", backend "
            + analytic[worstAt]
            + ")");
  }
}
