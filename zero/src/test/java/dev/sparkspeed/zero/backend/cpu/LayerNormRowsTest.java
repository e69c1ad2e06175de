package dev.sparkspeed.zero.backend.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparkspeed.zero.tensor.Tensor;
import java.util.Arrays;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The JVM's fastest layer-norm loops against the scalar reference loops, bit for bit. */
class LayerNormRowsTest {
  private TestTensors tt;
  private CpuThreads threads;

  @BeforeEach
  void open() {
    tt = new TestTensors(17);
    threads = new CpuThreads("layer-norm-test", 3);
  }

  @AfterEach
  void close() {
    threads.close();
    tt.close();
  }

  @Test
  void testJvmUsesTheVectorLoops() {
    assumeTrue(VectorApi.enabled(), "JVM started without --add-modules=jdk.incubator.vector");
    assertEquals(VectorLayerNormRows.class, LayerNormRows.fastest().getClass());
  }

  @Test
  void testFastestMatchesScalarOnRaggedSizes() {
    // columns off the 16-lane grid, and past one 1024-element block of partial sums
    for (int rows : new int[] {1, 37}) {
      for (int cols : new int[] {1, 7, 16, 17, 200, 1030, 2100}) {
        compare(rows, cols, 0f);
      }
    }
  }

  @Test
  void testFastestMatchesScalarOnGpt2Rows() {
    compare(256, 768, 0f);
    // rows far from zero mean, where the variance cancels most
    compare(64, 768, 40f);
  }

  private void compare(int rows, int cols, float offset) {
    String what = rows + "x" + cols + ", offset " + offset;
    Tensor in = tt.uniform(3, rows, cols);
    for (int i = 0; i < rows * cols; i++) {
      in.floats().put(i, in.floats().get(i) + offset);
    }
    Tensor weight = tt.uniform(1.5f, cols);
    Tensor bias = tt.uniform(1, cols);
    Tensor dout = tt.uniform(1, rows, cols);
    // gradients start non-zero: the kernels add into them
    Tensor din0 = tt.uniform(1, rows, cols);
    Tensor dweight0 = tt.uniform(1, cols);
    Tensor dbias0 = tt.uniform(1, cols);
    Tensor[][] t = new Tensor[2][];
    for (int k = 0; k < 2; k++) {
      LayerNormRows kernels = k == 0 ? LayerNormRows.scalar() : LayerNormRows.fastest();
      CpuLayerNorm norm = new CpuLayerNorm(threads, kernels);
      Tensor out = tt.zeros(rows, cols);
      Tensor mean = tt.zeros(rows);
      Tensor rstd = tt.zeros(rows);
      Tensor din = tt.copyOf(din0);
      Tensor dweight = tt.copyOf(dweight0);
      Tensor dbias = tt.copyOf(dbias0);
      norm.forward(out, mean, rstd, in, weight, bias, rows, cols);
      norm.backward(din, dweight, dbias, dout, in, weight, mean, rstd, rows, cols);
      t[k] = new Tensor[] {out, mean, rstd, din, dweight, dbias};
    }
    String[] names = {"out", "mean", "rstd", "din", "dweight", "dbias"};
    for (int i = 0; i < names.length; i++) {
      assertTrue(Arrays.equals(floats(t[0][i]), floats(t[1][i])), names[i] + " differs, " + what);
    }
  }

  static float[] floats(Tensor t) {
    float[] f = new float[t.intSize()];
    t.floats().get(0, f);
    return f;
  }
}
