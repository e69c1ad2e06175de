package dev.sparkspeed.zero.backend.cuda;

import static dev.sparkspeed.zero.tensor.DType.BF16;
import static dev.sparkspeed.zero.tensor.DType.FP32;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.util.List;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUstream_st;

/**
 * The {@link Backend} on one NVIDIA GPU: device memory from a caching pool, one stream on which
 * every kernel, copy and cuBLAS call is queued in issue order, host↔device copies through pinned
 * staging buffers, GEMMs through cuBLAS (FP32 accumulation; TF32 tensor cores only when {@link
 * CudaOptions#allowTf32}), and the other kernels compiled from CUDA C with NVRTC at first use.
 *
 * <p>Mixed precision: with {@link CudaOptions#layerGemm} BF16 (or FP16) the GEMMs inside the linear
 * and attention layers round their operands to 16 bits per call and run on tensor cores with FP32
 * accumulation; the attention scores are then stored in 16 bits (see {@link #attentionForward}).
 * Activations, layer norms, the loss, gradients handed to the caller and the optimizer stay FP32,
 * and {@link #gemm} keeps its operands' own dtypes. With FP32 (the default) every layer is FP32.
 *
 * <p>Calls return once the work is queued; {@link #download}, {@link #sumOfSquares}, {@link
 * #allFinite} and {@link #synchronize} wait for it. Threading: one thread at a time, any thread
 * (the device context is made current on the calling thread when it changes).
 */
public final class CudaBackend implements Backend {
  private final CudaOptions options;
  private final int device;
  private final String name;
  private final String deviceName;
  private final String uuid;
  private final int computeCapability;
  private final CUctx_st context;
  private final CUstream_st stream;
  private final DeviceMemoryPool pool;
  private final DeviceTensors tensors;
  private final PinnedStaging staging;
  private final CudaKernels kernels;
  private final Cublas cublas;
  private final CublasLt lt; // fused bias epilogues of the 16-bit layer GEMMs; null in FP32
  private final CudaGemm gemm;
  private final CudaLayers layers;
  private final CudaAttention attention;
  private final CudaVectorOps vectors;
  private final HalfOperands half; // null when the layer GEMMs are FP32
  private Thread boundThread;
  private boolean closed;

  private CudaBackend(CudaOptions options) {
    this.options = options;
    this.device = Cuda.device(options.device());
    this.computeCapability = Cuda.computeCapability(device);
    this.deviceName = Cuda.name(device);
    this.uuid = Cuda.uuid(device);
    this.name = "cuda:" + options.device();
    this.context = Cuda.retainPrimaryContext(device);
    bind();
    this.stream = Cuda.createStream();
    this.pool = new DeviceMemoryPool(name, new DriverMemory());
    this.tensors = new DeviceTensors(pool, name);
    this.staging = new PinnedStaging(stream, options.stagingBytes());
    int sms = Cuda.multiprocessors(device);
    this.kernels = CudaKernels.load(computeCapability, sms, stream, KernelCache.defaultLocation());
    this.cublas = new Cublas(stream, options.allowTf32());
    this.gemm = new CudaGemm(cublas, tensors, kernels.timer());
    this.half =
        options.layerGemm() == FP32
            ? null
            : new HalfOperands(options.layerGemm(), pool, tensors, kernels);
    // The fused epilogues were checked on a GPU with BF16 operands; FP16 keeps the separate
    // kernels.
    this.lt = half == null || half.type() != BF16 ? null : new CublasLt(stream, pool);
    this.layers = new CudaLayers(kernels, gemm, tensors, sms, half, lt);
    this.attention = new CudaAttention(kernels, gemm, tensors, half, computeCapability);
    this.vectors = new CudaVectorOps(kernels, tensors, staging, stream);
  }

  /** Opens device {@code options.device()}; fails with what is missing when CUDA is unusable. */
  public static CudaBackend open(CudaOptions options) {
    CudaProbe.Result probe = CudaProbe.probe();
    if (!probe.available()) {
      throw new CudaException("CUDA backend unavailable: " + probe.reason());
    }
    return new CudaBackend(options);
  }

  /** Opens a device with default options. */
  public static CudaBackend open(int device) {
    return open(CudaOptions.defaults().withDevice(device));
  }

  @Override
  public String name() {
    return name;
  }

  /** The GPU's marketing name, e.g. "NVIDIA H100 80GB HBM3". */
  public String deviceName() {
    return deviceName;
  }

  /** The GPU's UUID as nvidia-smi prints it. */
  public String uuid() {
    return uuid;
  }

  /** Compute capability as major·10 + minor. */
  public int computeCapability() {
    return computeCapability;
  }

  public CudaOptions options() {
    return options;
  }

  /** Device memory is plentiful next to the cost of a launch: keep whole FP32 working copies. */
  @Override
  public boolean prefersWholeFp32Copies() {
    return true;
  }

  /** Keeps t's 16-bit copy for the layer GEMMs (no-op when they run in FP32). */
  @Override
  public void keepHalfCopy(Tensor t, Tensor rounded) {
    if (half != null) {
      bind();
      long n = t.size();
      long r =
          rounded != null && rounded.dtype() == half.type()
              ? tensors.ptr(rounded, half.type(), n, "rounded")
              : 0;
      half.keep(tensors.ptr(t, FP32, n, "kept"), n, r);
    }
  }

  @Override
  public void releaseHalfCopy(Tensor t) {
    if (half != null) {
      half.release(tensors.ptr(t, FP32, t.size(), "kept"));
    }
  }

  /**
   * Starts (true) or stops (false) timing every kernel launch and GEMM on the device with events;
   * see {@link #kernelTimes}. Adds no waits between launches.
   */
  public void timeKernels(boolean on) {
    kernels.timer().enable(on);
  }

  /**
   * Device milliseconds per kernel name and GEMM shape since timing started, the {@code top}
   * largest first, as printable lines; clears the totals.
   */
  public List<String> kernelTimes(int top) {
    bind();
    return kernels.timer().report(top);
  }

  /** The stream every call is queued on (for a communicator that shares it). */
  CUstream_st stream() {
    return stream;
  }

  DeviceTensors tensors() {
    return tensors;
  }

  /** Makes this backend's context current on the calling thread when the thread changed. */
  void bind() {
    if (closed) {
      throw new IllegalStateException(name + " is closed");
    }
    Thread now = Thread.currentThread();
    if (boundThread != now) {
      Cuda.setCurrent(context);
      boundThread = now;
    }
  }

  // ---- memory ----

  @Override
  public Tensor allocate(String purpose, DType dtype, int... shape) {
    bind();
    long n = 1;
    for (int d : shape) {
      n = Math.multiplyExact(n, d);
    }
    DeviceBuffer buf = pool.allocate(purpose, dtype, n);
    Cuda.zero(buf.address(), buf.bytes(), stream);
    return Tensor.of(buf, 0, shape);
  }

  @Override
  public void free(Tensor t) {
    if (!(t.storage() instanceof DeviceBuffer d) || !d.belongsTo(pool)) {
      throw new IllegalArgumentException(t + " was not allocated by " + name);
    }
    bind();
    if (half != null) {
      // A copy kept for this memory must not be found by whatever is allocated there next.
      half.forget(d.address(), d.elements() * d.dtype().bytes());
    }
    // Queued work may still read the block; the next allocation that reuses it is queued after.
    d.close();
  }

  @Override
  public long liveBytes(String purpose) {
    return pool.liveBytes(purpose);
  }

  @Override
  public long liveBytes() {
    return pool.liveBytes();
  }

  @Override
  public long allocationCount() {
    return pool.allocationCount();
  }

  /** Bytes held from the driver, cached free blocks included. */
  public long reservedBytes() {
    return pool.reservedBytes();
  }

  // ---- data movement ----

  @Override
  public void copy(Tensor dst, Tensor src) {
    bind();
    vectors.copy(dst, src);
  }

  @Override
  public void upload(Tensor dst, Tensor hostSrc) {
    bind();
    vectors.upload(dst, hostSrc);
  }

  @Override
  public void download(Tensor hostDst, Tensor src) {
    bind();
    vectors.download(hostDst, src);
  }

  @Override
  public void fill(Tensor t, float value) {
    bind();
    vectors.fill(t, value);
  }

  @Override
  public void scale(Tensor t, float s) {
    bind();
    vectors.scale(t, s);
  }

  @Override
  public void axpy(Tensor y, float a, Tensor x) {
    bind();
    vectors.axpy(y, a, x);
  }

  @Override
  public double sumOfSquares(Tensor t) {
    bind();
    return vectors.sumOfSquares(t);
  }

  @Override
  public boolean allFinite(Tensor t) {
    bind();
    return vectors.allFinite(t);
  }

  @Override
  public void synchronize() {
    bind();
    Cuda.synchronize(stream);
  }

  // ---- GEMM ----

  /** As {@link Backend#gemm}; also accepts BF16/FP16 A and B with FP32 or same-type C. */
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
    bind();
    gemm.gemm(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
  }

  /** As {@link Backend#gemmStridedBatched}; dtypes as {@link #gemm}. */
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
    bind();
    gemm.gemm(
        transA, transB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC,
        batch);
  }

  // ---- layers ----

  @Override
  public void encoderForward(
      Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int t, int c) {
    bind();
    layers.encoderForward(out, tokens, wte, wpe, b, t, c);
  }

  @Override
  public void encoderBackward(
      Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int t, int c) {
    bind();
    layers.encoderBackward(dwte, dwpe, dout, tokens, b, t, c);
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
    bind();
    layers.layerNormForward(out, mean, rstd, in, weight, bias, rows, cols);
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
    bind();
    layers.layerNormBackward(din, dweight, dbias, dout, in, weight, mean, rstd, rows, cols);
  }

  @Override
  public void linearForward(
      Tensor out, Tensor in, Tensor weight, Tensor bias, int rows, int inDim, int outDim) {
    bind();
    layers.linearForward(out, in, weight, bias, rows, inDim, outDim);
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
    bind();
    layers.linearBackward(din, dweight, dbias, dout, in, weight, rows, inDim, outDim);
  }

  @Override
  public void activationForward(Activation f, Tensor out, Tensor in, int n) {
    bind();
    layers.activationForward(f, out, in, n);
  }

  @Override
  public void activationBackward(Activation f, Tensor din, Tensor in, Tensor dout, int n) {
    bind();
    layers.activationBackward(f, din, in, dout, n);
  }

  @Override
  public void residualForward(Tensor out, Tensor a, Tensor b, int n) {
    bind();
    layers.residualForward(out, a, b, n);
  }

  @Override
  public void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    bind();
    layers.residualBackward(da, db, dout, n);
  }

  /**
   * As {@link Backend#attentionForward}. With 16-bit layer GEMMs, preatt and att hold 16-bit scores
   * packed into the first half of their buffers: only {@link #attentionBackward} reads them back.
   */
  @Override
  public void attentionForward(
      Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int t, int c, int nh) {
    bind();
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
    bind();
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
    bind();
    layers.crossEntropyForward(losses, probs, logits, targets, rows, v, vp, ignoreIndex);
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
    bind();
    layers.crossEntropyBackward(dlogits, probs, targets, dloss, rows, v, vp, ignoreIndex);
  }

  @Override
  public void mseForward(Tensor losses, Tensor pred, Tensor target, int rows) {
    bind();
    layers.mseForward(losses, pred, target, rows);
  }

  @Override
  public void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows) {
    bind();
    layers.mseBackward(dpred, pred, target, dloss, rows);
  }

  // ---- optimizer ----

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
    bind();
    vectors.adamW(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, gradScale, step);
  }

  /**
   * Waits for queued work, then frees everything. Fails with {@link
   * dev.sparkspeed.zero.tensor.Allocator.LeakException} when tensors are still allocated (after
   * freeing them).
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    Cuda.setCurrent(context);
    try {
      Cuda.synchronize(stream);
      if (half != null) {
        half.close();
      }
      if (lt != null) {
        lt.close();
      }
      pool.close();
    } finally {
      closed = true;
      vectors.close();
      kernels.close();
      cublas.close();
      staging.close();
      Cuda.destroyStream(stream);
      Cuda.releasePrimaryContext(device);
    }
  }
}
