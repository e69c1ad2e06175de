package dev.sparkspeed.zero.backend.cpu;

import static dev.sparkspeed.zero.backend.cpu.TestTensors.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every layer kernel of {@link CpuBackend} against {@link ReferenceBackend} on the same random
 * inputs, at sizes large enough that the fast path splits its loops across threads.
 */
class LayerParityTest {
  private static final double TOL = 1e-5;

  private TestTensors tt;
  private CpuBackend cpu;
  private ReferenceBackend ref;

  @BeforeEach
  void open() {
    tt = new TestTensors(21);
    cpu = new CpuBackend(3, 64L << 20);
    ref = new ReferenceBackend(64L << 20);
  }

  @AfterEach
  void close() {
    cpu.close();
    ref.close();
    tt.close();
  }

  @Test
  void encoder() {
    int b = 3;
    int t = 16;
    int c = 200;
    int vocab = 50;
    int[] tokens = new int[b * t];
    for (int i = 0; i < tokens.length; i++) {
      tokens[i] = tt.random().nextInt(vocab);
    }
    Tensor tok = tt.ints(tokens, b, t);
    Tensor wte = tt.uniform(1, vocab, c);
    Tensor wpe = tt.uniform(1, t, c);
    Tensor out = tt.zeros(b, t, c);
    Tensor outRef = tt.zeros(b, t, c);
    cpu.encoderForward(out, tok, wte, wpe, b, t, c);
    ref.encoderForward(outRef, tok, wte, wpe, b, t, c);
    assertClose("encoder forward", outRef, out, 0);

    Tensor dout = tt.uniform(1, b, t, c);
    Tensor dwte = tt.uniform(1, vocab, c);
    Tensor dwpe = tt.uniform(1, t, c);
    Tensor dwteRef = tt.copyOf(dwte);
    Tensor dwpeRef = tt.copyOf(dwpe);
    cpu.encoderBackward(dwte, dwpe, dout, tok, b, t, c);
    ref.encoderBackward(dwteRef, dwpeRef, dout, tok, b, t, c);
    assertClose("encoder dwte", dwteRef, dwte, 0);
    assertClose("encoder dwpe", dwpeRef, dwpe, 0);
  }

  @Test
  void layerNorm() {
    int rows = 37;
    int cols = 200;
    Tensor in = tt.uniform(3, rows, cols);
    Tensor weight = tt.uniform(1, cols);
    Tensor bias = tt.uniform(1, cols);
    Tensor[] out = {tt.zeros(rows, cols), tt.zeros(rows, cols)};
    Tensor[] mean = {tt.zeros(rows), tt.zeros(rows)};
    Tensor[] rstd = {tt.zeros(rows), tt.zeros(rows)};
    cpu.layerNormForward(out[0], mean[0], rstd[0], in, weight, bias, rows, cols);
    ref.layerNormForward(out[1], mean[1], rstd[1], in, weight, bias, rows, cols);
    assertClose("layerNorm out", out[1], out[0], TOL);
    assertClose("layerNorm mean", mean[1], mean[0], TOL);
    assertClose("layerNorm rstd", rstd[1], rstd[0], TOL);

    Tensor dout = tt.uniform(1, rows, cols);
    Tensor din = tt.uniform(1, rows, cols);
    Tensor dw = tt.uniform(1, cols);
    Tensor db = tt.uniform(1, cols);
    Tensor dinRef = tt.copyOf(din);
    Tensor dwRef = tt.copyOf(dw);
    Tensor dbRef = tt.copyOf(db);
    cpu.layerNormBackward(din, dw, db, dout, in, weight, mean[1], rstd[1], rows, cols);
    ref.layerNormBackward(dinRef, dwRef, dbRef, dout, in, weight, mean[1], rstd[1], rows, cols);
    assertClose("layerNorm din", dinRef, din, TOL);
    assertClose("layerNorm dweight", dwRef, dw, TOL);
    assertClose("layerNorm dbias", dbRef, db, TOL);
  }

  @Test
  void linearWithAndWithoutBias() {
    int rows = 33;
    int in = 47;
    int outDim = 290;
    Tensor x = tt.uniform(1, rows, in);
    Tensor w = tt.uniform(1, outDim, in);
    Tensor bias = tt.uniform(1, outDim);
    for (Tensor bb : new Tensor[] {bias, null}) {
      Tensor out = tt.uniform(1, rows, outDim);
      Tensor outRef = tt.copyOf(out);
      cpu.linearForward(out, x, w, bb, rows, in, outDim);
      ref.linearForward(outRef, x, w, bb, rows, in, outDim);
      assertClose("linear forward, bias " + (bb != null), outRef, out, TOL);

      Tensor dout = tt.uniform(1, rows, outDim);
      Tensor din = tt.uniform(1, rows, in);
      Tensor dw = tt.uniform(1, outDim, in);
      Tensor db = bb == null ? null : tt.uniform(1, outDim);
      Tensor dinRef = tt.copyOf(din);
      Tensor dwRef = tt.copyOf(dw);
      Tensor dbRef = db == null ? null : tt.copyOf(db);
      cpu.linearBackward(din, dw, db, dout, x, w, rows, in, outDim);
      ref.linearBackward(dinRef, dwRef, dbRef, dout, x, w, rows, in, outDim);
      assertClose("linear din", dinRef, din, TOL);
      assertClose("linear dweight", dwRef, dw, TOL);
      if (db != null) {
        assertClose("linear dbias", dbRef, db, TOL);
      }
    }
  }

  @Test
  void linearBackwardPlainForm() {
    int rows = 19;
    int in = 70;
    int outDim = 50; // under twice in: the plain input-gradient GEMM
    Tensor x = tt.uniform(1, rows, in);
    Tensor w = tt.uniform(1, outDim, in);
    Tensor dout = tt.uniform(1, rows, outDim);
    Tensor din = tt.uniform(1, rows, in);
    Tensor dw = tt.uniform(1, outDim, in);
    Tensor dinRef = tt.copyOf(din);
    Tensor dwRef = tt.copyOf(dw);
    long allocations = cpu.allocationCount();
    cpu.linearBackward(din, dw, null, dout, x, w, rows, in, outDim);
    ref.linearBackward(dinRef, dwRef, null, dout, x, w, rows, in, outDim);
    assertClose("linear din", dinRef, din, TOL);
    assertClose("linear dweight", dwRef, dw, TOL);
    assertEquals(allocations, cpu.allocationCount(), "the plain form needs no scratch");
  }

  /** The transposed input gradient goes through scratch that grows once and is then reused. */
  @Test
  void linearBackwardAcrossSizes() {
    int in = 24;
    int outDim = 60; // at least twice in: the transposed input-gradient form
    Tensor w = tt.uniform(1, outDim, in);
    long allocationsAfterLargest = -1;
    for (int rows : new int[] {5, 50, 17, 50}) {
      Tensor x = tt.uniform(1, rows, in);
      Tensor dout = tt.uniform(1, rows, outDim);
      Tensor din = tt.uniform(1, rows, in);
      Tensor dw = tt.zeros(outDim, in);
      Tensor dinRef = tt.copyOf(din);
      Tensor dwRef = tt.zeros(outDim, in);
      cpu.linearBackward(din, dw, null, dout, x, w, rows, in, outDim);
      ref.linearBackward(dinRef, dwRef, null, dout, x, w, rows, in, outDim);
      assertClose("linear din, rows " + rows, dinRef, din, TOL);
      assertClose("linear dweight, rows " + rows, dwRef, dw, TOL);
      if (rows == 50 && allocationsAfterLargest < 0) {
        allocationsAfterLargest = cpu.allocationCount();
      }
    }
    assertEquals(
        allocationsAfterLargest,
        cpu.allocationCount(),
        "backward passes no larger than an earlier one must reuse its scratch");
  }

  @ParameterizedTest
  @EnumSource(Activation.class)
  void activation(Activation f) {
    int n = 70_001;
    Tensor in = tt.uniform(4, n);
    Tensor out = tt.zeros(n);
    Tensor outRef = tt.zeros(n);
    cpu.activationForward(f, out, in, n);
    ref.activationForward(f, outRef, in, n);
    assertClose(f + " forward", outRef, out, TOL);

    Tensor dout = tt.uniform(1, n);
    Tensor din = tt.uniform(1, n);
    Tensor dinRef = tt.copyOf(din);
    cpu.activationBackward(f, din, in, dout, n);
    ref.activationBackward(f, dinRef, in, dout, n);
    assertClose(f + " backward", dinRef, din, TOL);
  }

  @Test
  void residual() {
    int n = 70_001;
    Tensor a = tt.uniform(1, n);
    Tensor b = tt.uniform(1, n);
    Tensor out = tt.zeros(n);
    Tensor outRef = tt.zeros(n);
    cpu.residualForward(out, a, b, n);
    ref.residualForward(outRef, a, b, n);
    assertClose("residual forward", outRef, out, 0);

    Tensor dout = tt.uniform(1, n);
    Tensor da = tt.uniform(1, n);
    Tensor db = tt.uniform(1, n);
    Tensor daRef = tt.copyOf(da);
    Tensor dbRef = tt.copyOf(db);
    cpu.residualBackward(da, db, dout, n);
    ref.residualBackward(daRef, dbRef, dout, n);
    assertClose("residual da", daRef, da, 0);
    assertClose("residual db", dbRef, db, 0);
  }

  @Test
  void attention() {
    int b = 2;
    int t = 17;
    int c = 24;
    int nh = 3;
    Tensor qkv = tt.uniform(2, b, t, 3 * c);
    Tensor[] out = {tt.zeros(b, t, c), tt.zeros(b, t, c)};
    Tensor[] preatt = {tt.uniform(1, b, nh, t, t), tt.uniform(1, b, nh, t, t)};
    Tensor[] att = {tt.uniform(1, b, nh, t, t), tt.uniform(1, b, nh, t, t)};
    cpu.attentionForward(out[0], preatt[0], att[0], qkv, b, t, c, nh);
    ref.attentionForward(out[1], preatt[1], att[1], qkv, b, t, c, nh);
    assertClose("attention out", out[1], out[0], TOL);
    assertClose("attention preatt", preatt[1], preatt[0], TOL);
    assertClose("attention att", att[1], att[0], TOL);

    Tensor dout = tt.uniform(1, b, t, c);
    Tensor dqkv = tt.uniform(1, b, t, 3 * c);
    Tensor dqkvRef = tt.copyOf(dqkv);
    Tensor[] dpreatt = {tt.uniform(1, b, nh, t, t), tt.uniform(1, b, nh, t, t)};
    Tensor[] datt = {tt.zeros(b, nh, t, t), tt.zeros(b, nh, t, t)};
    cpu.attentionBackward(dqkv, dpreatt[0], datt[0], dout, qkv, att[1], b, t, c, nh);
    ref.attentionBackward(dqkvRef, dpreatt[1], datt[1], dout, qkv, att[1], b, t, c, nh);
    assertClose("attention dqkv", dqkvRef, dqkv, TOL);
    assertClose("attention dpreatt", dpreatt[1], dpreatt[0], TOL);
  }

  @Test
  void crossEntropyWithIgnoredRowsAndPaddedVocabulary() {
    int rows = 9;
    int v = 1001;
    int vp = 1024;
    int ignore = -1;
    int[] targets = new int[rows];
    for (int r = 0; r < rows; r++) {
      targets[r] = r % 4 == 1 ? ignore : tt.random().nextInt(v);
    }
    Tensor y = tt.ints(targets, rows);
    Tensor logits = tt.uniform(5, rows, vp);
    Tensor[] losses = {tt.zeros(rows), tt.zeros(rows)};
    Tensor[] probs = {tt.uniform(1, rows, vp), tt.uniform(1, rows, vp)};
    cpu.crossEntropyForward(losses[0], probs[0], logits, y, rows, v, vp, ignore);
    ref.crossEntropyForward(losses[1], probs[1], logits, y, rows, v, vp, ignore);
    assertClose("crossEntropy losses", losses[1], losses[0], TOL);
    assertClose("crossEntropy probs", probs[1], probs[0], TOL);

    Tensor dlogits = tt.uniform(1, rows, vp);
    Tensor dlogitsRef = tt.copyOf(dlogits);
    cpu.crossEntropyBackward(dlogits, probs[1], y, 0.25f, rows, v, vp, ignore);
    ref.crossEntropyBackward(dlogitsRef, probs[1], y, 0.25f, rows, v, vp, ignore);
    assertClose("crossEntropy dlogits", dlogitsRef, dlogits, 0);
  }

  @Test
  void mse() {
    int rows = 70_001;
    Tensor pred = tt.uniform(2, rows);
    Tensor target = tt.uniform(2, rows);
    Tensor losses = tt.zeros(rows);
    Tensor lossesRef = tt.zeros(rows);
    cpu.mseForward(losses, pred, target, rows);
    ref.mseForward(lossesRef, pred, target, rows);
    assertClose("mse forward", lossesRef, losses, 0);

    Tensor dpred = tt.uniform(1, rows);
    Tensor dpredRef = tt.copyOf(dpred);
    cpu.mseBackward(dpred, pred, target, 0.5f, rows);
    ref.mseBackward(dpredRef, pred, target, 0.5f, rows);
    assertClose("mse backward", dpredRef, dpred, 0);
  }
}
