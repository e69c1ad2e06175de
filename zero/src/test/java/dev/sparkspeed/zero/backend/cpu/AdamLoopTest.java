package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkspeed.zero.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JVM's fastest AdamW loop against the staged reference loop, bit for bit. */
class AdamLoopTest {
  private TestTensors tt;

  @BeforeEach
  void open() {
    tt = new TestTensors(3);
  }

  @AfterEach
  void close() {
    tt.close();
  }

  @Test
  void testJvmUsesTheVectorLoop() {
    assumeTrue(VectorApi.enabled(), "JVM started without --add-modules=jdk.incubator.vector");
    assertEquals(VectorAdamLoop.class, AdamLoop.fastest().getClass());
  }

  @Test
  void testFastestMatchesStagedBitForBit() {
    // two chunks and a ragged end, so every loop runs whole vectors and a partial one
    for (int n : new int[] {1, 15, 4096, 2 * 4096 + 37}) {
      for (boolean clear : new boolean[] {false, true}) {
        for (int step : new int[] {1, 7}) {
          compare(n, clear, step);
        }
      }
    }
  }

  private void compare(int n, boolean clear, int step) {
    Tensor[] a = {tt.uniform(1, n), tt.uniform(2, n), tt.uniform(0.5f, n), tt.uniform(0.25f, n)};
    // v must be non-negative, as a second moment is
    float[] v = floats(a[3]);
    for (int i = 0; i < n; i++) {
      a[3].floats().put(i, Math.abs(v[i]));
    }
    Tensor[] b = new Tensor[4];
    for (int i = 0; i < 4; i++) {
      b[i] = tt.copyOf(a[i]);
    }
    double sumA = run(AdamLoop.staged(), a, clear, step);
    double sumB = run(AdamLoop.fastest(), b, clear, step);
    String what = "n " + n + ", clear " + clear + ", step " + step;
    assertEquals(Double.doubleToLongBits(sumA), Double.doubleToLongBits(sumB), "Σ grad², " + what);
    String[] names = {"param", "grad", "m", "v"};
    for (int i = 0; i < 4; i++) {
      assertTrue(Arrays.equals(floats(a[i]), floats(b[i])), names[i] + " differs, " + what);
    }
    if (clear) {
      assertTrue(Arrays.equals(new float[n], floats(b[1])), "gradient not cleared, " + what);
    }
  }

  private static float[] floats(Tensor t) {
    float[] f = new float[t.intSize()];
    t.floats().get(0, f);
    return f;
  }

  private static double run(AdamLoop loop, Tensor[] t, boolean clear, int step) {
    AdamUpdate u =
        AdamUpdate.of(t[0], t[1], t[2], t[3], 3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f, 0.5f, step);
    AdamLoop.Pass pass = loop.pass(u, clear);
    // two calls on one pass, as a thread with several sum blocks makes
    int mid = u.n() / 2;
    return pass.update(0, mid) + pass.update(mid, u.n());
  }
}
