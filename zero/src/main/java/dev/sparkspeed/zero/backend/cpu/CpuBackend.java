package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * The CPU fast path: GEMMs (linear layers, attention scores) through OpenBLAS on its own threads,
 * every other kernel in Java over direct buffers, split across a small pool of this backend's
 * threads. Tensors come from an allocator the backend owns; kernels accept any host tensor. Results
 * match {@link ReferenceBackend} up to summation order.
 *
 * <p>Attention stores 0 in the masked (key after query) entries of preatt, att and dpreatt.
 */
public final class CpuBackend implements Backend {
  private final HostMemory memory;
  private final CpuThreads threads;
  private final CpuVectorOps vectors;
  private final CpuLinear linear;
  private final CpuActivations activations;
  private final CpuEncoder encoder;
  private final CpuLayerNorm layerNorm;
  private final CpuAttention attention;
  private final CpuLoss loss;
  private final CpuAdam adam;

  /** A backend using every processor this JVM may use and no memory limit. */
  public CpuBackend() {
    this(Runtime.getRuntime().availableProcessors(), Long.MAX_VALUE);
  }

  /**
   * @param threads Java threads for the non-GEMM kernels, the caller included (OpenBLAS sizes its
   *     own pool; see {@code OPENBLAS_NUM_THREADS})
   * @param memoryLimitBytes live bytes above which {@link #allocate} fails
   */
  public CpuBackend(int threads, long memoryLimitBytes) {
    this.threads = new CpuThreads("sparkspeed-cpu", threads);
    this.memory = new HostMemory("cpu", memoryLimitBytes);
    this.vectors = new CpuVectorOps(this.threads);
    this.linear = new CpuLinear(this.threads, this.memory);
    this.activations = new CpuActivations(this.threads, PointwiseLoops.fastest());
    this.encoder = new CpuEncoder(this.threads);
    this.layerNorm = new CpuLayerNorm(this.threads, LayerNormRows.fastest());
    this.attention = new CpuAttention(this.threads, RowKernels.fastest());
    this.loss = new CpuLoss(this.threads, RowKernels.fastest());
    this.adam = new CpuAdam(this.threads, AdamLoop.fastest());
  }

  /** Threads OpenBLAS runs one sgemm on. */
  public static int blasThreads() {
    return OpenBlas.threads();
  }

  /**
   * Sizes OpenBLAS's thread pool, which is shared by the whole process, unless the environment sets
   * OPENBLAS_NUM_THREADS or OMP_NUM_THREADS. A Spark executor running several ranks gives each the
   * cores of one task ({@code spark.task.cpus}); without this each rank's GEMMs would use every
   * core of the machine and the ranks would oversubscribe them.
   *
   * @return the threads OpenBLAS uses now
   */
  public static int setBlasThreads(int threads) {
    return OpenBlas.setThreads(threads);
  }

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public Tensor allocate(String purpose, DType dtype, int... shape) {
    return memory.allocate(purpose, dtype, shape);
  }

  @Override
  public void free(Tensor t) {
    memory.free(t);
  }

  @Override
  public long liveBytes(String purpose) {
    return memory.liveBytes(purpose);
  }

  @Override
  public long liveBytes() {
    return memory.liveBytes();
  }

  @Override
  public long allocationCount() {
    return memory.allocationCount();
  }

  @Override
  public void copy(Tensor dst, Tensor src) {
    vectors.copy(dst, src);
  }

  @Override
  public void upload(Tensor dst, Tensor hostSrc) {
    HostMemory.copyBytes(dst, hostSrc, "upload");
  }

  @Override
  public void download(Tensor hostDst, Tensor src) {
    HostMemory.copyBytes(hostDst, src, "download");
  }

  @Override
  public void fill(Tensor t, float value) {
    vectors.fill(t, value);
  }

  @Override
  public void scale(Tensor t, float s) {
    vectors.scale(t, s);
  }

  @Override
  public void axpy(Tensor y, float a, Tensor x) {
    vectors.axpy(y, a, x);
  }

  @Override
  public double sumOfSquares(Tensor t) {
    return vectors.sumOfSquares(t);
  }

  @Override
  public boolean allFinite(Tensor t) {
    return vectors.allFinite(t);
  }

  @Override
  public void synchronize() {}

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
    linear.gemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
    linear.gemmStridedBatched(
        transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
        batch);
  }

  @Override
  public void encoderForward(
      Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int t, int c) {
    encoder.forward(out, tokens, wte, wpe, b, t, c);
  }

  @Override
  public void encoderBackward(
      Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int t, int c) {
    encoder.backward(dwte, dwpe, dout, tokens, b, t, c);
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
    layerNorm.forward(out, mean, rstd, in, weight, bias, rows, cols);
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
    layerNorm.backward(din, dweight, dbias, dout, in, weight, mean, rstd, rows, cols);
  }

  @Override
  public void linearForward(
      Tensor out, Tensor in, Tensor weight, Tensor bias, int rows, int inDim, int outDim) {
    linear.forward(out, in, weight, bias, rows, inDim, outDim);
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
    linear.backward(din, dweight, dbias, dout, in, weight, rows, inDim, outDim);
  }

  @Override
  public void activationForward(Activation f, Tensor out, Tensor in, int n) {
    activations.forward(f, out, in, n);
  }

  @Override
  public void activationBackward(Activation f, Tensor din, Tensor in, Tensor dout, int n) {
    activations.backward(f, din, in, dout, n);
  }

  @Override
  public void residualForward(Tensor out, Tensor a, Tensor b, int n) {
    activations.residualForward(out, a, b, n);
  }

  @Override
  public void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    activations.residualBackward(da, db, dout, n);
  }

  @Override
  public void attentionForward(
      Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int t, int c, int nh) {
    attention.forward(out, preatt, att, qkv, b, t, c, nh);
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
    attention.backward(dqkv, dpreatt, datt, dout, qkv, att, b, t, c, nh);
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
    loss.crossEntropyForward(losses, probs, logits, targets, rows, v, vp, ignoreIndex);
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
    loss.crossEntropyBackward(dlogits, probs, targets, dloss, rows, v, vp, ignoreIndex);
  }

  @Override
  public void mseForward(Tensor losses, Tensor pred, Tensor target, int rows) {
    loss.mseForward(losses, pred, target, rows);
  }

  @Override
  public void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows) {
    loss.mseBackward(dpred, pred, target, dloss, rows);
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
    adam.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
  }

  @Override
  public boolean fusesAdamWAndClear() {
    return true;
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
    return adam.adamWAndClear(
        param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
  }

  /** Stops the threads, then closes the allocator, which fails if tensors were not freed. */
  @Override
  public void close() {
    threads.close();
    linear.close();
    memory.close();
  }
}
