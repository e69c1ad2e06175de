package dev.sparkspeed.zero.backend;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * The compute a model and an optimizer need, implemented once for the CPU (OpenBLAS and Java
 * kernels) and once for CUDA. Kernels follow llm.c's convention: outputs first, then inputs, then
 * sizes. Matrices are row-major. Every backward kernel <em>adds</em> into its gradient outputs
 * (parameter and activation gradients alike); callers zero them when a fresh sum is wanted.
 *
 * <p>Threading: one backend instance is driven by one thread at a time (it may use more threads
 * inside a call). Tensors passed to a backend must live in memory it allocated.
 */
public interface Backend extends AutoCloseable {

  /** "cpu", "cpu-reference", "cuda:0", ... */
  String name();

  /** A zero-filled tensor, counted under {@code purpose}. Close it with {@link #free}. */
  Tensor allocate(String purpose, DType dtype, int... shape);

  /** Releases a tensor obtained from {@link #allocate}. */
  void free(Tensor t);

  /** Live bytes under one purpose (parameters, grads, adam_m, activations, ...). */
  long liveBytes(String purpose);

  /** Live bytes in total. */
  long liveBytes();

  /** Number of allocations so far; unchanged across a steady-state training step. */
  long allocationCount();

  // ---- data movement ----

  /** dst = src, converting between FP32/BF16/FP16 (round to nearest even) when dtypes differ. */
  void copy(Tensor dst, Tensor src);

  /** Copies a host tensor into this backend's tensor (same dtype, same size). */
  void upload(Tensor dst, Tensor hostSrc);

  /** Copies this backend's tensor into a host tensor (same dtype, same size). */
  void download(Tensor hostDst, Tensor src);

  /** Every element of t set to value (FP32 or 16-bit). */
  void fill(Tensor t, float value);

  /** t *= s (FP32). */
  void scale(Tensor t, float s);

  /** y += a * x (FP32). */
  void axpy(Tensor y, float a, Tensor x);

  /** Sum of squares of t (FP32 or 16-bit), accumulated in double. */
  double sumOfSquares(Tensor t);

  /** False when t holds a NaN or an infinity (the loss scaler's overflow check). */
  boolean allFinite(Tensor t);

  /**
   * True on a device whose memory is plentiful next to the cost of many small calls (a GPU): the
   * ZeRO engine then keeps a whole FP32 working copy of 16-bit parameters, refreshed once per step,
   * and accumulates gradients in FP32 as DeepSpeed's BF16 optimizer does, instead of widening group
   * by group through a small scratch buffer.
   */
  default boolean prefersWholeFp32Copies() {
    return false;
  }

  /**
   * A hint for a backend that rounds GEMM operands to 16 bits: {@code t} (FP32) will be read as an
   * operand again, unchanged, until {@link #releaseHalfCopy}, so the backend may round it once and
   * keep the copy. {@code rounded}, when not null, already holds t's values rounded to 16 bits (a
   * model's BF16 parameters beside their FP32 working copy) and may serve as that copy. Calling it
   * again for the same tensor replaces the copy (t was rewritten). The caller must not write t
   * before releasing it. No-op by default.
   */
  default void keepHalfCopy(Tensor t, Tensor rounded) {}

  /** Ends a {@link #keepHalfCopy}: t may change again. No-op by default. */
  default void releaseHalfCopy(Tensor t) {}

  /** Waits until all queued work on this backend is done (a no-op on the CPU). */
  void synchronize();

  // ---- GEMM ----

  /**
   * C = alpha·op(A)·op(B) + beta·C, row-major; op(A) is (m, k), op(B) is (k, n), C is (m, n).
   * lda/ldb/ldc are row strides in elements. FP32 tensors.
   */
  void gemm(
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
      int ldc);

  /**
   * {@code batch} independent GEMMs as {@link #gemm}, the i-th operands starting at i·stride
   * elements from each tensor's start.
   */
  void gemmStridedBatched(
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
      int batch);

  // ---- layers ----

  /** out (B,T,C) = wte[tokens] + wpe[t]; tokens (B,T) INT32, wte (V,C), wpe (maxT,C). */
  void encoderForward(Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int t, int c);

  /** dwte, dwpe += scatter of dout (B,T,C) by tokens. */
  void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int t, int c);

  /** out (rows,cols) = layer norm of in; mean, rstd (rows) saved for backward; eps 1e-5. */
  void layerNormForward(
      Tensor out,
      Tensor mean,
      Tensor rstd,
      Tensor in,
      Tensor weight,
      Tensor bias,
      int rows,
      int cols);

  /** din, dweight, dbias += gradients of layer norm. */
  void layerNormBackward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      Tensor mean,
      Tensor rstd,
      int rows,
      int cols);

  /**
   * out (rows,outDim) = in (rows,inDim) · weightᵀ + bias; weight (outDim,inDim); bias may be null.
   */
  void linearForward(
      Tensor out, Tensor in, Tensor weight, Tensor bias, int rows, int inDim, int outDim);

  /** din += dout·weight; dweight += doutᵀ·in; dbias += column sums of dout (dbias may be null). */
  void linearBackward(
      Tensor din,
      Tensor dweight,
      Tensor dbias,
      Tensor dout,
      Tensor in,
      Tensor weight,
      int rows,
      int inDim,
      int outDim);

  /** out = f(in) elementwise over n values. */
  void activationForward(Activation f, Tensor out, Tensor in, int n);

  /** din += f'(in)·dout. */
  void activationBackward(Activation f, Tensor din, Tensor in, Tensor dout, int n);

  /** out = a + b over n values. */
  void residualForward(Tensor out, Tensor a, Tensor b, int n);

  /** da += dout and db += dout. */
  void residualBackward(Tensor da, Tensor db, Tensor dout, int n);

  /**
   * Causal multi-head self-attention. qkv (B,T,3C) holds q, k, v side by side; out (B,T,C); preatt
   * and att (B,NH,T,T) are saved for backward (att holds the softmax).
   */
  void attentionForward(
      Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int t, int c, int nh);

  /** dqkv += gradient through attention; dpreatt and datt are scratch (B,NH,T,T), overwritten. */
  void attentionBackward(
      Tensor dqkv,
      Tensor dpreatt,
      Tensor datt,
      Tensor dout,
      Tensor qkv,
      Tensor att,
      int b,
      int t,
      int c,
      int nh);

  /**
   * Softmax cross-entropy per row. logits (rows, vp) of which the first v are real classes; targets
   * (rows) INT32; rows whose target equals ignoreIndex get loss 0. probs (rows, vp) saved.
   */
  void crossEntropyForward(
      Tensor losses,
      Tensor probs,
      Tensor logits,
      Tensor targets,
      int rows,
      int v,
      int vp,
      int ignoreIndex);

  /** dlogits += (probs − onehot)·dloss for each non-ignored row; padded columns stay 0. */
  void crossEntropyBackward(
      Tensor dlogits,
      Tensor probs,
      Tensor targets,
      float dloss,
      int rows,
      int v,
      int vp,
      int ignoreIndex);

  /** losses (rows) = (pred − target)²; pred and target (rows). */
  void mseForward(Tensor losses, Tensor pred, Tensor target, int rows);

  /** dpred += 2·(pred − target)·dloss. */
  void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows);

  // ---- optimizer ----

  /**
   * One AdamW update over n = param.size() elements, DeepSpeed's semantics: grad is multiplied by
   * gradScale first; m, v updated; bias correction by step (1-based); decoupled weight decay param
   * -= lr·weightDecay·param. All FP32.
   */
  void adamW(
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
      int step);

  /**
   * {@link #adamW} that also sets {@code grad} to 0 once read and returns the sum of squares of the
   * gradient as read (before gradScale), in double. A backend may do all three in one pass over the
   * gradient (see {@link #fusesAdamWAndClear}); this default does them one after another.
   */
  default double adamWAndClear(
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
    double sumsq = sumOfSquares(grad);
    adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
    fill(grad, 0f);
    return sumsq;
  }

  /**
   * Whether {@link #adamWAndClear} is one pass over the gradient here. Callers choose it over
   * separate norm, update and clear passes only then; the default answers false.
   */
  default boolean fusesAdamWAndClear() {
    return false;
  }

  @Override
  void close();
}
