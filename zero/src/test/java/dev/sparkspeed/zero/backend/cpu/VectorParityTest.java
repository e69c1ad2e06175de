package dev.sparkspeed.zero.backend.cpu;

import static dev.sparkspeed.zero.backend.cpu.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Casts, fills, norms, finiteness and AdamW of {@link CpuBackend} against {@link ReferenceBackend},
 * at sizes large enough to be split across threads.
 */
class VectorParityTest {
  private static final int N = 100_003;

  /** Leading elements of {@link #awkwardFloats} that hold hand-picked special values. */
  private static final int SPECIALS = 15;

  private TestTensors tt;
  private CpuBackend cpu;
  private ReferenceBackend ref;

  @BeforeEach
  void open() {
    tt = new TestTensors(31);
    cpu = new CpuBackend(3, 64L << 20);
    ref = new ReferenceBackend(64L << 20);
  }

  @AfterEach
  void close() {
    cpu.close();
    ref.close();
    tt.close();
  }

  /**
   * Random floats over many binades (within FP16 range, down to its subnormals), led by the values
   * casts get wrong: ties, tiny, huge, NaN.
   */
  private Tensor awkwardFloats() {
    Tensor t = tt.zeros(N);
    FloatBuffer f = t.floats();
    float[] special = {
      0f,
      -0f,
      Float.NaN,
      Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY,
      65504f,
      65520f,
      70000f,
      1e-8f,
      6e-8f,
      Float.MIN_VALUE,
      Float.MAX_VALUE,
      Float.intBitsToFloat(0x3f808000),
      Float.intBitsToFloat(0x3f818000),
      1.00048828125f
    };
    for (int i = 0; i < N; i++) {
      f.put(
          i,
          i < special.length
              ? special[i]
              : (float)
                  ((tt.random().nextFloat() - 0.5) * Math.pow(2, tt.random().nextInt(40) - 24)));
    }
    return t;
  }

  private static byte[] bytes(Tensor t) {
    ByteBuffer b = t.bytes();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    "FP32,BF16",
    "FP32,FP16",
    "BF16,FP32",
    "FP16,FP32",
    "BF16,FP16",
    "FP16,BF16",
    "FP32,FP32",
    "BF16,BF16"
  })
  void copyConvertsBitForBit(DType from, DType to) {
    Tensor src32 = awkwardFloats();
    Tensor src = tt.zeros(from, N);
    ref.copy(src, src32);
    Tensor dst = tt.zeros(to, N);
    Tensor dstRef = tt.zeros(to, N);
    cpu.copy(dst, src);
    ref.copy(dstRef, src);
    assertTrue(java.util.Arrays.equals(bytes(dstRef), bytes(dst)), from + " -> " + to);
    if (from == DType.FP32 && to.isHalf()) {
      for (int i = 0; i < 200; i++) {
        assertEquals(to.fromFloat(src32.floats().get(i)), dst.shorts().get(i), "element " + i);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = DType.class,
      names = {"FP32", "BF16", "FP16"})
  void fillSumOfSquaresAndFiniteness(DType dtype) {
    Tensor a = tt.zeros(dtype, N);
    Tensor b = tt.zeros(dtype, N);
    cpu.fill(a, 1.5f);
    ref.fill(b, 1.5f);
    assertTrue(java.util.Arrays.equals(bytes(b), bytes(a)), "fill " + dtype);
    assertEquals(2.25 * N, cpu.sumOfSquares(a), 1e-9 * N);

    ref.copy(a, awkwardFloats());
    ref.copy(b, a);
    // Drop the special values planted at the start (NaN, infinities, values that overflow a
    // 16-bit type) so the sums are finite.
    for (int i = 0; i < SPECIALS; i++) {
      if (dtype == DType.FP32) {
        a.floats().put(i, 0f);
      } else {
        a.shorts().put(i, (short) 0);
      }
    }
    assertTrue(cpu.allFinite(a) && ref.allFinite(a), dtype + " finite values");
    double expected = ref.sumOfSquares(a);
    assertEquals(expected, cpu.sumOfSquares(a), 1e-12 * expected);
    assertFalse(cpu.allFinite(b), dtype + " with NaN and infinities");
    int at = N - 17;
    for (float bad : new float[] {Float.NaN, Float.NEGATIVE_INFINITY}) {
      Tensor c = tt.zeros(dtype, N);
      cpu.fill(c, 0.25f);
      if (dtype == DType.FP32) {
        c.floats().put(at, bad);
      } else {
        c.shorts().put(at, dtype.fromFloat(bad));
      }
      assertFalse(cpu.allFinite(c), dtype + " with " + bad + " near the end");
      assertFalse(ref.allFinite(c), "reference, " + dtype + " with " + bad);
    }
  }

  @Test
  void scaleAndAxpy() {
    Tensor y = tt.uniform(2, N);
    Tensor yRef = tt.copyOf(y);
    Tensor x = tt.uniform(2, N);
    cpu.scale(y, 0.3f);
    ref.scale(yRef, 0.3f);
    assertClose("scale", yRef, y, 0);
    cpu.axpy(y, -1.7f, x);
    ref.axpy(yRef, -1.7f, x);
    assertClose("axpy", yRef, y, 0);
  }

  @Test
  void adamWOverSeveralSteps() {
    Tensor p = tt.uniform(1, N);
    Tensor m = tt.zeros(N);
    Tensor v = tt.zeros(N);
    Tensor pRef = tt.copyOf(p);
    Tensor mRef = tt.zeros(N);
    Tensor vRef = tt.zeros(N);
    for (int step = 1; step <= 3; step++) {
      Tensor g = tt.uniform(4, N);
      cpu.adamW(p, g, m, v, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.5f, step);
      ref.adamW(pRef, g, mRef, vRef, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.5f, step);
    }
    assertClose("adamW param", pRef, p, 1e-6);
    assertClose("adamW m", mRef, m, 0);
    assertClose("adamW v", vRef, v, 0);
  }

  @Test
  void adamWAndClearUpdatesLikeAdamWThenClearsAndSumsTheGradient() {
    Tensor p = tt.uniform(1, N);
    Tensor m = tt.uniform(0.1f, N);
    Tensor v = tt.zeros(N);
    Tensor pRef = tt.copyOf(p);
    Tensor mRef = tt.copyOf(m);
    Tensor vRef = tt.zeros(N);
    for (int step = 1; step <= 2; step++) {
      Tensor g = tt.uniform(4, N);
      Tensor gRef = tt.copyOf(g);
      double sumsq = cpu.adamWAndClear(p, g, m, v, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.5f, step);
      double sumsqRef =
          ref.adamWAndClear(pRef, gRef, mRef, vRef, 1e-2f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.5f, step);
      assertEquals(sumsqRef, sumsq, 1e-6 * sumsqRef, "sum of squares, step " + step);
      assertEquals(0.0, ref.sumOfSquares(g), "gradient cleared, step " + step);
    }
    assertClose("adamW param", pRef, p, 1e-6);
    assertClose("adamW m", mRef, m, 0);
    assertClose("adamW v", vRef, v, 0);
  }

  @Test
  void adamWFirstStepMovesEachParameterByAboutLr() {
    // With zero moments, step 1 gives mhat/sqrt(vhat) = sign(g): every parameter moves by lr.
    Tensor p = tt.zeros(N);
    Tensor g = tt.uniform(1, N);
    Tensor m = tt.zeros(N);
    Tensor v = tt.zeros(N);
    cpu.adamW(p, g, m, v, 1e-3f, 0.9f, 0.999f, 1e-12f, 0f, 1f, 1);
    for (int i = 0; i < N; i += 997) {
      float gi = g.floats().get(i);
      assertEquals(-Math.signum(gi) * 1e-3, p.floats().get(i), 1e-6, "param " + i);
    }
  }

  @Test
  void uploadDownloadRoundTrip() {
    Tensor host = awkwardFloats();
    Tensor back = tt.zeros(N);
    Tensor dev = cpu.allocate("params", DType.FP32, N);
    try {
      cpu.upload(dev, host);
      cpu.download(back, dev);
      assertTrue(java.util.Arrays.equals(bytes(host), bytes(back)), "round trip");
    } finally {
      cpu.free(dev);
    }
  }
}
