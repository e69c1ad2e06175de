package dev.sparkspeed.zero.backend;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A backend that forwards every call to another and adds up the wall time spent per kind of work
 * (GEMM, attention, elementwise, optimizer), for the step benchmark's time split. Host backends run
 * synchronously, so call time is compute time; on an asynchronous backend call {@link #synchronize}
 * is timed as elementwise.
 */
public final class TimedBackend implements Backend {
  /** Index of GEMM time (GEMMs and linear layers). */
  public static final int GEMM = 0;

  /** Index of attention time. */
  public static final int ATTENTION = 1;

  /** Index of elementwise, normalisation, loss and data movement time. */
  public static final int ELEMENTWISE = 2;

  /** Index of optimizer time. */
  public static final int OPTIMIZER = 3;

  private final Backend inner;
  private final AtomicLongArray nanos = new AtomicLongArray(4);

  public TimedBackend(Backend inner) {
    this.inner = inner;
  }

  private void add(int kind, long t0) {
    nanos.addAndGet(kind, System.nanoTime() - t0);
  }

  /** Seconds spent in one kind of work since the last reset. */
  public double seconds(int kind) {
    return nanos.get(kind) / 1e9;
  }

  /** Zeroes the counters. */
  public void reset() {
    for (int i = 0; i < 4; i++) {
      nanos.set(i, 0);
    }
  }

  @Override
  public String name() {
    return inner.name();
  }

  @Override
  public Tensor allocate(String purpose, DType dtype, int... shape) {
    return inner.allocate(purpose, dtype, shape);
  }

  @Override
  public void free(Tensor t) {
    inner.free(t);
  }

  @Override
  public long liveBytes(String purpose) {
    return inner.liveBytes(purpose);
  }

  @Override
  public long liveBytes() {
    return inner.liveBytes();
  }

  @Override
  public long allocationCount() {
    return inner.allocationCount();
  }

  @Override
  public void copy(Tensor dst, Tensor src) {
    long t0 = System.nanoTime();
    inner.copy(dst, src);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void upload(Tensor dst, Tensor hostSrc) {
    long t0 = System.nanoTime();
    inner.upload(dst, hostSrc);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void download(Tensor hostDst, Tensor src) {
    long t0 = System.nanoTime();
    inner.download(hostDst, src);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void fill(Tensor t, float value) {
    long t0 = System.nanoTime();
    inner.fill(t, value);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void scale(Tensor t, float s) {
    long t0 = System.nanoTime();
    inner.scale(t, s);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void axpy(Tensor y, float a, Tensor x) {
    long t0 = System.nanoTime();
    inner.axpy(y, a, x);
    add(ELEMENTWISE, t0);
  }

  @Override
  public double sumOfSquares(Tensor t) {
    long t0 = System.nanoTime();
    double r = inner.sumOfSquares(t);
    add(ELEMENTWISE, t0);
    return r;
  }

  @Override
  public boolean allFinite(Tensor t) {
    long t0 = System.nanoTime();
    boolean r = inner.allFinite(t);
    add(ELEMENTWISE, t0);
    return r;
  }

  @Override
  public boolean prefersWholeFp32Copies() {
    return inner.prefersWholeFp32Copies();
  }

  @Override
  public void keepHalfCopy(Tensor t, Tensor rounded) {
    inner.keepHalfCopy(t, rounded);
  }

  @Override
  public void releaseHalfCopy(Tensor t) {
    inner.releaseHalfCopy(t);
  }

  @Override
  public void synchronize() {
    inner.synchronize();
  }

  @Override
  public void gemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      Tensor a,
      int lda,
      Tensor b,
      int ldb,
      float beta,
      Tensor c,
      int ldc) {
    long t0 = System.nanoTime();
    inner.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    add(GEMM, t0);
  }

  @Override
  public void gemmStridedBatched(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      Tensor a,
      int lda,
      long strideA,
      Tensor b,
      int ldb,
      long strideB,
      float beta,
      Tensor c,
      int ldc,
      long strideC,
      int batch) {
    long t0 = System.nanoTime();
    inner.gemmStridedBatched(
        transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
        batch);
    add(GEMM, t0);
  }

  @Override
  public void encoderForward(
      Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int t, int c) {
    long t0 = System.nanoTime();
    inner.encoderForward(out, tokens, wte, wpe, b, t, c);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void encoderBackward(
      Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int t, int c) {
    long t0 = System.nanoTime();
    inner.encoderBackward(dwte, dwpe, dout, tokens, b, t, c);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void layerNormForward(
      Tensor out,
      Tensor mean,
      Tensor rstd,
      Tensor in,
      Tensor weight,
      Tensor bias,
      int rows,
      int cols) {
    long t0 = System.nanoTime();
    inner.layerNormForward(out, mean, rstd, in, weight, bias, rows, cols);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void layerNormBackward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      Tensor mean,
      Tensor rstd,
      int rows,
      int cols) {
    long t0 = System.nanoTime();
    inner.layerNormBackward(din, dweight, dbias, dout, in, weight, mean, rstd, rows, cols);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void linearForward(
      Tensor out, Tensor in, Tensor weight, Tensor bias, int rows, int inDim, int outDim) {
    long t0 = System.nanoTime();
    inner.linearForward(out, in, weight, bias, rows, inDim, outDim);
    add(GEMM, t0);
  }

  @Override
  public void linearBackward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      int rows,
      int inDim,
      int outDim) {
    long t0 = System.nanoTime();
    inner.linearBackward(din, dweight, dbias, dout, in, weight, rows, inDim, outDim);
    add(GEMM, t0);
  }

  @Override
  public void activationForward(Activation f, Tensor out, Tensor in, int n) {
    long t0 = System.nanoTime();
    inner.activationForward(f, out, in, n);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void activationBackward(Activation f, Tensor din, Tensor in, Tensor dout, int n) {
    long t0 = System.nanoTime();
    inner.activationBackward(f, din, in, dout, n);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void residualForward(Tensor out, Tensor a, Tensor b, int n) {
    long t0 = System.nanoTime();
    inner.residualForward(out, a, b, n);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    long t0 = System.nanoTime();
    inner.residualBackward(da, db, dout, n);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void attentionForward(
      Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int t, int c, int nh) {
    long t0 = System.nanoTime();
    inner.attentionForward(out, preatt, att, qkv, b, t, c, nh);
    add(ATTENTION, t0);
  }

  @Override
  public void attentionBackward(
      Tensor dqkv,
      Tensor dpreatt,
      Tensor datt,
      Tensor dout,
      Tensor qkv,
      Tensor att,
      int b,
      int t,
      int c,
      int nh) {
    long t0 = System.nanoTime();
    inner.attentionBackward(dqkv, dpreatt, datt, dout, qkv, att, b, t, c, nh);
    add(ATTENTION, t0);
  }

  @Override
  public void crossEntropyForward(
      Tensor losses,
      Tensor probs,
      Tensor logits,
      Tensor targets,
      int rows,
      int v,
      int vp,
      int ignoreIndex) {
    long t0 = System.nanoTime();
    inner.crossEntropyForward(losses, probs, logits, targets, rows, v, vp, ignoreIndex);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void crossEntropyBackward(
      Tensor dlogits,
      Tensor probs,
      Tensor targets,
      float dloss,
      int rows,
      int v,
      int vp,
      int ignoreIndex) {
    long t0 = System.nanoTime();
    inner.crossEntropyBackward(dlogits, probs, targets, dloss, rows, v, vp, ignoreIndex);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void mseForward(Tensor losses, Tensor pred, Tensor target, int rows) {
    long t0 = System.nanoTime();
    inner.mseForward(losses, pred, target, rows);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows) {
    long t0 = System.nanoTime();
    inner.mseBackward(dpred, pred, target, dloss, rows);
    add(ELEMENTWISE, t0);
  }

  @Override
  public void adamW(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    long t0 = System.nanoTime();
    inner.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
    add(OPTIMIZER, t0);
  }

  @Override
  public boolean fusesAdamWAndClear() {
    return inner.fusesAdamWAndClear();
  }

  @Override
  public double adamWAndClear(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    long t0 = System.nanoTime();
    double r =
        inner.adamWAndClear(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
    add(OPTIMIZER, t0);
    return r;
  }

  @Override
  public void close() {
    inner.close();
  }
}
