package dev.sparkspeed.zero.backend.cpu;

import static dev.sparkspeed.zero.backend.cpu.Float64Layers.dot;
import static dev.sparkspeed.zero.backend.cpu.Float64Layers.numericGradient;
import static dev.sparkspeed.zero.backend.cpu.TestTensors.assertClose;
import static dev.sparkspeed.zero.backend.cpu.TestTensors.assertGradient;
import static dev.sparkspeed.zero.backend.cpu.TestTensors.minus;
import static dev.sparkspeed.zero.backend.cpu.TestTensors.toDoubles;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.Tensor;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every layer's backward, on both CPU backends, against float64 central differences of {@link
 * Float64Layers}; every forward against the float64 forward. Gradient outputs start non-zero, so
 * the checks also prove that backward kernels add rather than overwrite.
 */
class GradientCheckTest {
  private static final double GRAD_TOL = 1e-3;
  private static final double FORWARD_TOL = 1e-5;
  private static final double H = 1e-5;

  static Backend create(String name) {
    return name.equals("cpu") ? new CpuBackend(3, 64L << 20) : new ReferenceBackend(64L << 20);
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void encoder(String backend) {
    int b = 2;
    int t = 3;
    int c = 4;
    int vocab = 5;
    int[] tokens = {1, 3, 1, 0, 1, 4};
    try (TestTensors tt = new TestTensors(1);
        Backend be = create(backend)) {
      Tensor tok = tt.ints(tokens, b, t);
      Tensor wte = tt.uniform(1, vocab, c);
      Tensor wpe = tt.uniform(1, t, c);
      Tensor out = tt.zeros(b, t, c);
      be.encoderForward(out, tok, wte, wpe, b, t, c);
      double[] wteD = toDoubles(wte);
      double[] wpeD = toDoubles(wpe);
      assertClose(
          "encoder forward",
          Float64Layers.encoder(tokens, wteD, wpeD, b, t, c),
          toDoubles(out),
          FORWARD_TOL);

      Tensor dout = tt.uniform(1, b, t, c);
      double[] w = toDoubles(dout);
      Tensor dwte = tt.uniform(1, vocab, c);
      Tensor dwpe = tt.uniform(1, t, c);
      Tensor dwte0 = tt.copyOf(dwte);
      Tensor dwpe0 = tt.copyOf(dwpe);
      be.encoderBackward(dwte, dwpe, dout, tok, b, t, c);
      assertGradient(
          "encoder dwte",
          numericGradient(x -> dot(w, Float64Layers.encoder(tokens, x, wpeD, b, t, c)), wteD, H),
          minus(dwte, dwte0),
          GRAD_TOL);
      assertGradient(
          "encoder dwpe",
          numericGradient(x -> dot(w, Float64Layers.encoder(tokens, wteD, x, b, t, c)), wpeD, H),
          minus(dwpe, dwpe0),
          GRAD_TOL);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void layerNorm(String backend) {
    int rows = 3;
    int cols = 8;
    try (TestTensors tt = new TestTensors(2);
        Backend be = create(backend)) {
      Tensor in = tt.uniform(2, rows, cols);
      Tensor weight = tt.uniform(1.5f, cols);
      Tensor bias = tt.uniform(1, cols);
      Tensor out = tt.zeros(rows, cols);
      Tensor mean = tt.zeros(rows);
      Tensor rstd = tt.zeros(rows);
      be.layerNormForward(out, mean, rstd, in, weight, bias, rows, cols);
      double[] x = toDoubles(in);
      double[] w = toDoubles(weight);
      double[] bb = toDoubles(bias);
      assertClose(
          "layerNorm forward",
          Float64Layers.layerNorm(x, w, bb, rows, cols),
          toDoubles(out),
          FORWARD_TOL);

      Tensor dout = tt.uniform(1, rows, cols);
      double[] g = toDoubles(dout);
      Tensor din = tt.uniform(1, rows, cols);
      Tensor dweight = tt.uniform(1, cols);
      Tensor dbias = tt.uniform(1, cols);
      Tensor din0 = tt.copyOf(din);
      Tensor dweight0 = tt.copyOf(dweight);
      Tensor dbias0 = tt.copyOf(dbias);
      be.layerNormBackward(din, dweight, dbias, dout, in, weight, mean, rstd, rows, cols);
      assertGradient(
          "layerNorm din",
          numericGradient(v -> dot(g, Float64Layers.layerNorm(v, w, bb, rows, cols)), x, H),
          minus(din, din0),
          GRAD_TOL);
      assertGradient(
          "layerNorm dweight",
          numericGradient(v -> dot(g, Float64Layers.layerNorm(x, v, bb, rows, cols)), w, H),
          minus(dweight, dweight0),
          GRAD_TOL);
      assertGradient(
          "layerNorm dbias",
          numericGradient(v -> dot(g, Float64Layers.layerNorm(x, w, v, rows, cols)), bb, H),
          minus(dbias, dbias0),
          GRAD_TOL);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void linear(String backend) {
    int rows = 3;
    int in = 5;
    int outDim = 4;
    try (TestTensors tt = new TestTensors(3);
        Backend be = create(backend)) {
      Tensor x = tt.uniform(1, rows, in);
      Tensor weight = tt.uniform(1, outDim, in);
      Tensor bias = tt.uniform(1, outDim);
      Tensor out = tt.zeros(rows, outDim);
      be.linearForward(out, x, weight, bias, rows, in, outDim);
      double[] xd = toDoubles(x);
      double[] wd = toDoubles(weight);
      double[] bd = toDoubles(bias);
      assertClose(
          "linear forward",
          Float64Layers.linear(xd, wd, bd, rows, in, outDim),
          toDoubles(out),
          FORWARD_TOL);
      Tensor outNoBias = tt.uniform(1, rows, outDim);
      be.linearForward(outNoBias, x, weight, null, rows, in, outDim);
      assertClose(
          "linear forward without bias",
          Float64Layers.linear(xd, wd, null, rows, in, outDim),
          toDoubles(outNoBias),
          FORWARD_TOL);

      Tensor dout = tt.uniform(1, rows, outDim);
      double[] g = toDoubles(dout);
      Tensor din = tt.uniform(1, rows, in);
      Tensor dweight = tt.uniform(1, outDim, in);
      Tensor dbias = tt.uniform(1, outDim);
      Tensor din0 = tt.copyOf(din);
      Tensor dweight0 = tt.copyOf(dweight);
      Tensor dbias0 = tt.copyOf(dbias);
      be.linearBackward(din, dweight, dbias, dout, x, weight, rows, in, outDim);
      assertGradient(
          "linear din",
          numericGradient(v -> dot(g, Float64Layers.linear(v, wd, bd, rows, in, outDim)), xd, H),
          minus(din, din0),
          GRAD_TOL);
      assertGradient(
          "linear dweight",
          numericGradient(v -> dot(g, Float64Layers.linear(xd, v, bd, rows, in, outDim)), wd, H),
          minus(dweight, dweight0),
          GRAD_TOL);
      assertGradient(
          "linear dbias",
          numericGradient(v -> dot(g, Float64Layers.linear(xd, wd, v, rows, in, outDim)), bd, H),
          minus(dbias, dbias0),
          GRAD_TOL);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void activations(String backend) {
    int n = 24;
    try (TestTensors tt = new TestTensors(4);
        Backend be = create(backend)) {
      for (Activation f : Activation.values()) {
        Tensor in = tt.uniform(3, n);
        Tensor out = tt.zeros(n);
        be.activationForward(f, out, in, n);
        double[] x = toDoubles(in);
        assertClose(f + " forward", Float64Layers.activation(f, x), toDoubles(out), FORWARD_TOL);

        Tensor dout = tt.uniform(1, n);
        double[] g = toDoubles(dout);
        Tensor din = tt.uniform(1, n);
        Tensor din0 = tt.copyOf(din);
        be.activationBackward(f, din, in, dout, n);
        assertGradient(
            f + " din",
            numericGradient(v -> dot(g, Float64Layers.activation(f, v)), x, H),
            minus(din, din0),
            GRAD_TOL);
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void residual(String backend) {
    int n = 10;
    try (TestTensors tt = new TestTensors(5);
        Backend be = create(backend)) {
      Tensor a = tt.uniform(1, n);
      Tensor b = tt.uniform(1, n);
      Tensor out = tt.zeros(n);
      be.residualForward(out, a, b, n);
      double[] ad = toDoubles(a);
      double[] bd = toDoubles(b);
      assertClose("residual forward", Float64Layers.residual(ad, bd), toDoubles(out), 1e-7);

      Tensor dout = tt.uniform(1, n);
      double[] g = toDoubles(dout);
      Tensor da = tt.uniform(1, n);
      Tensor db = tt.uniform(1, n);
      Tensor da0 = tt.copyOf(da);
      Tensor db0 = tt.copyOf(db);
      be.residualBackward(da, db, dout, n);
      assertGradient(
          "residual da",
          numericGradient(v -> dot(g, Float64Layers.residual(v, bd)), ad, H),
          minus(da, da0),
          GRAD_TOL);
      assertGradient(
          "residual db",
          numericGradient(v -> dot(g, Float64Layers.residual(ad, v)), bd, H),
          minus(db, db0),
          GRAD_TOL);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void attention(String backend) {
    int b = 2;
    int t = 4;
    int c = 6;
    int nh = 2;
    try (TestTensors tt = new TestTensors(6);
        Backend be = create(backend)) {
      Tensor qkv = tt.uniform(1.5f, b, t, 3 * c);
      Tensor out = tt.zeros(b, t, c);
      Tensor preatt = tt.zeros(b, nh, t, t);
      Tensor att = tt.zeros(b, nh, t, t);
      be.attentionForward(out, preatt, att, qkv, b, t, c, nh);
      double[] x = toDoubles(qkv);
      assertClose(
          "attention forward",
          Float64Layers.attention(x, b, t, c, nh),
          toDoubles(out),
          FORWARD_TOL);

      Tensor dout = tt.uniform(1, b, t, c);
      double[] g = toDoubles(dout);
      Tensor dqkv = tt.uniform(1, b, t, 3 * c);
      Tensor dqkv0 = tt.copyOf(dqkv);
      Tensor dpreatt = tt.zeros(b, nh, t, t);
      Tensor datt = tt.zeros(b, nh, t, t);
      be.attentionBackward(dqkv, dpreatt, datt, dout, qkv, att, b, t, c, nh);
      assertGradient(
          "attention dqkv",
          numericGradient(v -> dot(g, Float64Layers.attention(v, b, t, c, nh)), x, H),
          minus(dqkv, dqkv0),
          GRAD_TOL);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void crossEntropy(String backend) {
    int rows = 4;
    int v = 6;
    int vp = 8;
    int ignore = -100;
    int[] targets = {2, ignore, 5, 0};
    float dloss = 0.37f;
    try (TestTensors tt = new TestTensors(7);
        Backend be = create(backend)) {
      Tensor logits = tt.uniform(3, rows, vp);
      Tensor y = tt.ints(targets, rows);
      Tensor losses = tt.zeros(rows);
      Tensor probs = tt.uniform(1, rows, vp);
      be.crossEntropyForward(losses, probs, logits, y, rows, v, vp, ignore);
      double[] z = toDoubles(logits);
      assertClose(
          "crossEntropy forward",
          Float64Layers.crossEntropy(z, targets, rows, v, vp, ignore),
          toDoubles(losses),
          FORWARD_TOL);
      for (int r = 0; r < rows; r++) {
        for (int j = v; j < vp; j++) {
          assertEquals(0f, probs.floats().get(r * vp + j), "padded probability row " + r);
        }
      }

      Tensor dlogits = tt.uniform(1, rows, vp);
      Tensor dlogits0 = tt.copyOf(dlogits);
      be.crossEntropyBackward(dlogits, probs, y, dloss, rows, v, vp, ignore);
      double[] analytic = minus(dlogits, dlogits0);
      assertGradient(
          "crossEntropy dlogits",
          numericGradient(
              x ->
                  dloss
                      * dot(
                          ones(rows), Float64Layers.crossEntropy(x, targets, rows, v, vp, ignore)),
              z,
              H),
          analytic,
          GRAD_TOL);
      for (int r = 0; r < rows; r++) {
        for (int j = 0; j < vp; j++) {
          if (targets[r] == ignore || j >= v) {
            assertEquals(0.0, analytic[r * vp + j], "row " + r + " column " + j + " must stay");
          }
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"cpu", "cpu-reference"})
  void mse(String backend) {
    int rows = 7;
    float dloss = 0.6f;
    try (TestTensors tt = new TestTensors(8);
        Backend be = create(backend)) {
      Tensor pred = tt.uniform(2, rows);
      Tensor target = tt.uniform(2, rows);
      Tensor losses = tt.zeros(rows);
      be.mseForward(losses, pred, target, rows);
      double[] p = toDoubles(pred);
      double[] y = toDoubles(target);
      assertClose("mse forward", Float64Layers.mse(p, y), toDoubles(losses), FORWARD_TOL);

      Tensor dpred = tt.uniform(1, rows);
      Tensor dpred0 = tt.copyOf(dpred);
      be.mseBackward(dpred, pred, target, dloss, rows);
      assertGradient(
          "mse dpred",
          numericGradient(x -> dloss * dot(ones(rows), Float64Layers.mse(x, y)), p, H),
          minus(dpred, dpred0),
          GRAD_TOL);
    }
  }

  private static double[] ones(int n) {
    double[] o = new double[n];
    java.util.Arrays.fill(o, 1.0);
    return o;
  }
}
