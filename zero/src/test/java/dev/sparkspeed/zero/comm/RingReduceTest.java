package dev.sparkspeed.zero.comm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.Allocator;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.HostBuffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The FP32 ring reduction (native, on the direct buffers) against Java's float addition, bit for
 * bit: in place and into separate memory, at a length that spans several native calls and ends
 * mid-call, on slices that start inside their buffers.
 */
class RingReduceTest {
  private static final int N = 3 * 8192 + 1001;
  private static final int OFFSET = 7;
  private static final float GUARD = 12345f;
  private static final float[] SPECIAL = {
    0f,
    -0f,
    Float.MIN_VALUE,
    -Float.MIN_VALUE,
    Float.MAX_VALUE,
    -Float.MAX_VALUE,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    Float.NaN,
    1f
  };

  @Test
  void fp32SumsMatchJavaAdditionBitForBit() {
    Random rnd = new Random(5);
    // Every pair of special values, then random bit patterns.
    float[] wire = awkward(rnd, i -> SPECIAL[i % SPECIAL.length]);
    float[] local = awkward(rnd, i -> SPECIAL[i / SPECIAL.length]);
    try (Allocator memory = new Allocator("ring-reduce-test");
        HostBuffer wireMem = memory.allocate("wire", DType.FP32, N + 2 * OFFSET);
        HostBuffer localMem = memory.allocate("local", DType.FP32, N + 2 * OFFSET);
        HostBuffer dstMem = memory.allocate("dst", DType.FP32, N + 2 * OFFSET)) {
      ByteBuffer w = fill(wireMem, wire);
      ByteBuffer l = fill(localMem, local);
      ByteBuffer d = fill(dstMem, new float[N]);
      RingReduce kernels = new RingReduce();

      kernels.add(DType.FP32, w, false, l, d, false, N);
      assertSums(wire, local, d.asFloatBuffer(), "into separate memory");
      assertEquals(local[N - 1], l.asFloatBuffer().get(N - 1), "the local operand is unchanged");
      assertGuards(dstMem);

      kernels.add(DType.FP32, w, false, l, l, false, N);
      assertSums(wire, local, l.asFloatBuffer(), "in place");
      assertGuards(localMem);
    }
  }

  private static void assertSums(float[] wire, float[] local, FloatBuffer got, String how) {
    for (int i = 0; i < N; i++) {
      float want = wire[i] + local[i];
      float g = got.get(i);
      if (Float.isNaN(want)) {
        assertTrue(Float.isNaN(g), how + ": element " + i + " should be NaN, got " + g);
      } else {
        assertEquals(
            Float.floatToRawIntBits(want),
            Float.floatToRawIntBits(g),
            how + ": element " + i + " = " + wire[i] + " + " + local[i]);
      }
    }
  }

  /** Nothing written outside the slice. */
  private static void assertGuards(HostBuffer memory) {
    FloatBuffer all = memory.floats();
    for (int i = 0; i < OFFSET; i++) {
      assertEquals(GUARD, all.get(i), "element " + i + " before the slice");
      assertEquals(GUARD, all.get(OFFSET + N + i), "element " + i + " after the slice");
    }
  }

  /** The leading special values, then random bit patterns: all binades, subnormals, NaNs. */
  private static float[] awkward(Random rnd, IntToFloat special) {
    float[] x = new float[N];
    for (int i = 0; i < N; i++) {
      x[i] =
          i < SPECIAL.length * SPECIAL.length ? special.at(i) : Float.intBitsToFloat(rnd.nextInt());
    }
    return x;
  }

  /** Guards around, {@code values} in a slice that starts inside the buffer. */
  private static ByteBuffer fill(HostBuffer memory, float[] values) {
    FloatBuffer all = memory.floats();
    for (int i = 0; i < all.capacity(); i++) {
      all.put(i, GUARD);
    }
    ByteBuffer b = memory.byteBuffer().slice(OFFSET * 4, N * 4).order(ByteOrder.nativeOrder());
    b.asFloatBuffer().put(values);
    return b;
  }

  private interface IntToFloat {
    float at(int i);
  }
}
