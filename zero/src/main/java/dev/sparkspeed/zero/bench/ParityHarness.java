package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntPredicate;

/**
 * Pairs of tensors holding the same values on a reference backend and a backend under test, and the
 * error between them after each has run the same kernel. The error of a tensor is the largest
 * absolute difference divided by the reference's largest magnitude, so elements near zero in a
 * tensor of ordinary size do not blow it up.
 */
final class ParityHarness implements AutoCloseable {
  /** The same tensor on both backends. */
  record Twin(Tensor ref, Tensor test) {}

  private final Backend ref;
  private final Backend test;
  private final Allocator host = new Allocator("parity-host");
  private final Random rnd;
  private final List<Twin> live = new ArrayList<>();

  ParityHarness(Backend ref, Backend test, long seed) {
    this.ref = ref;
    this.test = test;
    this.rnd = new Random(seed);
  }

  Backend refBackend() {
    return ref;
  }

  Backend testBackend() {
    return test;
  }

  /** Uniform values in [lo, hi), rounded to dtype. */
  Twin uniform(DType dtype, float lo, float hi, int... shape) {
    return fill(dtype, shape, i -> lo + (hi - lo) * rnd.nextFloat());
  }

  Twin constant(DType dtype, float value, int... shape) {
    return fill(dtype, shape, i -> value);
  }

  /** INT32 values in [0, bound). */
  Twin ints(int bound, int... shape) {
    int n = count(shape);
    HostBuffer h = host.allocate("ints", DType.INT32, n);
    try {
      IntBuffer b = h.ints();
      for (int i = 0; i < n; i++) {
        b.put(i, rnd.nextInt(bound));
      }
      return upload(Tensor.of(h, 0, shape));
    } finally {
      h.close();
    }
  }

  /** Sets one INT32 element on both sides. */
  void setInt(Twin t, int index, int value) {
    HostBuffer h = host.allocate("ints", DType.INT32, t.ref().size());
    try {
      Tensor ht = Tensor.of(h, 0, t.ref().shape());
      ref.download(ht, t.ref());
      h.ints().put(index, value);
      ref.upload(t.ref(), ht);
      test.upload(t.test(), ht);
    } finally {
      h.close();
    }
  }

  private interface Gen {
    float at(int i);
  }

  private Twin fill(DType dtype, int[] shape, Gen gen) {
    int n = count(shape);
    HostBuffer h = host.allocate("values", dtype, n);
    try {
      if (dtype == DType.FP32) {
        FloatBuffer b = h.floats();
        for (int i = 0; i < n; i++) {
          b.put(i, gen.at(i));
        }
      } else {
        ShortBuffer b = h.shorts();
        for (int i = 0; i < n; i++) {
          b.put(i, dtype.fromFloat(gen.at(i)));
        }
      }
      return upload(Tensor.of(h, 0, shape));
    } finally {
      h.close();
    }
  }

  private Twin upload(Tensor hostTensor) {
    int[] shape = hostTensor.shape();
    Tensor r = ref.allocate("parity", hostTensor.dtype(), shape);
    Tensor t = test.allocate("parity", hostTensor.dtype(), shape);
    ref.upload(r, hostTensor);
    test.upload(t, hostTensor);
    Twin twin = new Twin(r, t);
    live.add(twin);
    return twin;
  }

  /** The tensor's values on one side, widened to float (INT32 converted). */
  float[] values(Backend b, Tensor t) {
    int n = t.intSize();
    HostBuffer h = host.allocate("download", t.dtype(), n);
    try {
      Tensor ht = Tensor.of(h, 0, t.shape());
      b.download(ht, t);
      b.synchronize();
      float[] out = new float[n];
      switch (t.dtype()) {
        case FP32 -> h.floats().get(out);
        case INT32 -> {
          IntBuffer ib = h.ints();
          for (int i = 0; i < n; i++) {
            out[i] = ib.get(i);
          }
        }
        default -> {
          ShortBuffer sb = h.shorts();
          for (int i = 0; i < n; i++) {
            out[i] = t.dtype().toFloat(sb.get(i));
          }
        }
      }
      return out;
    } finally {
      h.close();
    }
  }

  float[] refValues(Twin t) {
    return values(ref, t.ref());
  }

  float[] testValues(Twin t) {
    return values(test, t.test());
  }

  /** Normalized max error over every element. */
  double error(Twin t) {
    return error(t, i -> true);
  }

  /** Normalized max error over the elements {@code include} accepts. */
  double error(Twin t, IntPredicate include) {
    return error(refValues(t), testValues(t), include);
  }

  static double error(float[] expected, float[] actual, IntPredicate include) {
    double maxDiff = 0;
    double maxRef = 0;
    for (int i = 0; i < expected.length; i++) {
      if (!include.test(i)) {
        continue;
      }
      if (Float.isNaN(actual[i]) != Float.isNaN(expected[i])) {
        return Double.POSITIVE_INFINITY;
      }
      if (Float.isFinite(expected[i])) {
        maxRef = Math.max(maxRef, Math.abs(expected[i]));
      }
      if (Float.isNaN(expected[i]) || expected[i] == actual[i]) {
        continue;
      }
      if (Float.isInfinite(expected[i]) || Float.isInfinite(actual[i])) {
        return Double.POSITIVE_INFINITY;
      }
      maxDiff = Math.max(maxDiff, Math.abs((double) actual[i] - expected[i]));
    }
    return maxRef == 0 ? maxDiff : maxDiff / maxRef;
  }

  private static int count(int[] shape) {
    int n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public void close() {
    for (Twin t : live) {
      ref.free(t.ref());
      test.free(t.test());
    }
    live.clear();
    host.close();
  }
}
