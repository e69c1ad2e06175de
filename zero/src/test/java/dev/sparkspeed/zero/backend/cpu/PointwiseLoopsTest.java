package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JVM's fastest GELU and residual loops against the scalar reference loops, bit for bit. */
class PointwiseLoopsTest {
  /** Ragged lengths around the vector width, one split across threads, and GPT-2's MLP size. */
  private static final int[] SIZES = {1, 7, 15, 16, 17, 33, 70_001, 256 * 3072};

  private TestTensors tt;
  private CpuThreads threads;

  @BeforeEach
  void open() {
    tt = new TestTensors(23);
    threads = new CpuThreads("pointwise-test", 3);
  }

  @AfterEach
  void close() {
    threads.close();
    tt.close();
  }

  @Test
  void testJvmUsesTheVectorLoops() {
    assumeTrue(VectorApi.enabled(), "JVM started without --add-modules=jdk.incubator.vector");
    assertEquals(VectorPointwiseLoops.class, PointwiseLoops.fastest().getClass());
  }

  @Test
  void testGeluMatchesScalar() {
    for (int n : SIZES) {
      compareGelu(tt.uniform(5, n), "n " + n);
    }
  }

  @Test
  void testGeluExtremesMatchScalar() {
    // past tanh's ±9 clamp, a cube that overflows, infinities and NaN
    float[] v = {0f, -0f, 3f, -3f, 20f, -20f, 1e13f, -1e13f, 1e-30f};
    float[] special = {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN};
    int n = 40;
    Tensor in = tt.zeros(n);
    for (int i = 0; i < n; i++) {
      in.floats().put(i, i < v.length ? v[i] : special[i % special.length]);
    }
    compareGelu(in, "extremes");
  }

  private void compareGelu(Tensor in, String what) {
    int n = in.intSize();
    Tensor dout = tt.uniform(1, n);
    Tensor din0 = tt.uniform(1, n);
    float[][] out = new float[2][];
    float[][] din = new float[2][];
    for (int k = 0; k < 2; k++) {
      CpuActivations act = activations(k);
      Tensor o = tt.zeros(n);
      Tensor d = tt.copyOf(din0);
      act.forward(Activation.GELU, o, in, n);
      act.backward(Activation.GELU, d, in, dout, n);
      out[k] = LayerNormRowsTest.floats(o);
      din[k] = LayerNormRowsTest.floats(d);
    }
    assertTrue(Arrays.equals(out[0], out[1]), "GELU forward differs, " + what);
    assertTrue(Arrays.equals(din[0], din[1]), "GELU backward differs, " + what);
  }

  @Test
  void testResidualMatchesScalar() {
    for (int n : SIZES) {
      Tensor a = tt.uniform(1, n);
      Tensor b = tt.uniform(1, n);
      Tensor dout = tt.uniform(1, n);
      Tensor da0 = tt.uniform(1, n);
      Tensor db0 = tt.uniform(1, n);
      float[][] got = new float[6][];
      for (int k = 0; k < 2; k++) {
        CpuActivations act = activations(k);
        Tensor out = tt.zeros(n);
        Tensor da = tt.copyOf(da0);
        Tensor db = tt.copyOf(db0);
        act.residualForward(out, a, b, n);
        act.residualBackward(da, db, dout, n);
        got[3 * k] = LayerNormRowsTest.floats(out);
        got[3 * k + 1] = LayerNormRowsTest.floats(da);
        got[3 * k + 2] = LayerNormRowsTest.floats(db);
      }
      assertTrue(Arrays.equals(got[0], got[3]), "residual forward differs, n " + n);
      assertTrue(Arrays.equals(got[1], got[4]), "residual da differs, n " + n);
      assertTrue(Arrays.equals(got[2], got[5]), "residual db differs, n " + n);
    }
  }

  /** k = 0: the scalar loops; 1: the fastest. */
  private CpuActivations activations(int k) {
    return new CpuActivations(threads, k == 0 ? PointwiseLoops.scalar() : PointwiseLoops.fastest());
  }
}
