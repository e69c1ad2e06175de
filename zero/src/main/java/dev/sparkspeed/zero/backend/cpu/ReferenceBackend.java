package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.FloatBuffer;

/**
 * The plain reference: every kernel, GEMM included, as single-threaded Java loops written to be
 * read rather than to be fast. Every fast path ({@link CpuBackend}, the CUDA backend) is tested
 * against it. Layer kernels live in {@link ReferenceLayers} and {@link ReferenceAttention}. Same
 * conventions as {@link CpuBackend}, including 0 in the masked entries of attention's preatt, att
 * and dpreatt.
 */
public final class ReferenceBackend implements Backend {
  private final HostMemory memory;

  /** A reference backend without a memory limit. */
  public ReferenceBackend() {
    this(Long.MAX_VALUE);
  }

  /**
   * @param memoryLimitBytes live bytes above which {@link #allocate} fails
   */
  public ReferenceBackend(long memoryLimitBytes) {
    this.memory = new HostMemory("cpu-reference", memoryLimitBytes);
  }

  @Override
  public String name() {
    return "cpu-reference";
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
    if (dst.size() != src.size()) {
      throw new IllegalArgumentException("copy needs equal sizes: dst " + dst + ", src " + src);
    }
    if (dst.dtype() == src.dtype()) {
      dst.bytes().put(src.bytes());
      return;
    }
    Operands.requireFloating(dst, "copy dst");
    Operands.requireFloating(src, "copy src");
    for (int i = 0; i < dst.intSize(); i++) {
      setFloat(dst, i, getFloat(src, i));
    }
  }

  /** Element i of an FP32, BF16 or FP16 tensor, widened to float. */
  private static float getFloat(Tensor t, int i) {
    if (t.dtype() == DType.FP32) {
      return t.floats().get(i);
    }
    return t.dtype().toFloat(t.shorts().get(i));
  }

  /** Stores value at element i, rounding to nearest even for 16-bit types. */
  private static void setFloat(Tensor t, int i, float value) {
    if (t.dtype() == DType.FP32) {
      t.floats().put(i, value);
    } else {
      t.shorts().put(i, t.dtype().fromFloat(value));
    }
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
    Operands.requireFloating(t, "fill target");
    for (int i = 0; i < t.intSize(); i++) {
      setFloat(t, i, value);
    }
  }

  @Override
  public void scale(Tensor t, float s) {
    FloatBuffer x = Operands.f32(t, 0, "scale target");
    for (int i = 0; i < t.intSize(); i++) {
      x.put(i, x.get(i) * s);
    }
  }

  @Override
  public void axpy(Tensor y, float a, Tensor x) {
    FloatBuffer yb = Operands.f32(y, 0, "axpy y");
    FloatBuffer xb = Operands.f32(x, y.size(), "axpy x");
    for (int i = 0; i < y.intSize(); i++) {
      yb.put(i, yb.get(i) + a * xb.get(i));
    }
  }

  @Override
  public double sumOfSquares(Tensor t) {
    Operands.requireFloating(t, "sumOfSquares input");
    double sum = 0;
    for (int i = 0; i < t.intSize(); i++) {
      double v = getFloat(t, i);
      sum += v * v;
    }
    return sum;
  }

  @Override
  public boolean allFinite(Tensor t) {
    Operands.requireFloating(t, "allFinite input");
    for (int i = 0; i < t.intSize(); i++) {
      if (!Float.isFinite(getFloat(t, i))) {
        return false;
      }
    }
    return true;
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
    gemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);
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
    if (batch <= 0) {
      return;
    }
    long last = batch - 1L;
    FloatBuffer ab = Operands.matrix(a, last * strideA, transA ? k : m, transA ? m : k, lda, "A");
    FloatBuffer bb = Operands.matrix(b, last * strideB, transB ? n : k, transB ? k : n, ldb, "B");
    FloatBuffer cb = Operands.matrix(c, last * strideC, m, n, ldc, "C");
    for (int p = 0; p < batch; p++) {
      int a0 = Math.toIntExact(p * strideA);
      int b0 = Math.toIntExact(p * strideB);
      int c0 = Math.toIntExact(p * strideC);
      for (int i = 0; i < m; i++) {
        for (int j = 0; j < n; j++) {
          double sum = 0;
          for (int l = 0; l < k; l++) {
            float ail = transA ? ab.get(a0 + l * lda + i) : ab.get(a0 + i * lda + l);
            float blj = transB ? bb.get(b0 + j * ldb + l) : bb.get(b0 + l * ldb + j);
            sum += (double) ail * blj;
          }
          int ci = c0 + i * ldc + j;
          // BLAS semantics: with beta = 0, C is not read (it may hold NaN).
          float old = beta == 0f ? 0f : beta * cb.get(ci);
          cb.put(ci, (float) (alpha * sum) + old);
        }
      }
    }
  }

  @Override
  public void encoderForward(
      Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int t, int c) {
    ReferenceLayers.encoderForward(out, tokens, wte, wpe, b, t, c);
  }

  @Override
  public void encoderBackward(
      Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int t, int c) {
    ReferenceLayers.encoderBackward(dwte, dwpe, dout, tokens, b, t, c);
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
    ReferenceLayers.layerNormForward(out, mean, rstd, in, weight, bias, rows, cols);
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
    ReferenceLayers.layerNormBackward(
        din, dweight, dbias, dout, in, weight, mean, rstd, rows, cols);
  }

  @Override
  public void linearForward(
      Tensor out, Tensor in, Tensor weight, Tensor bias, int rows, int inDim, int outDim) {
    ReferenceLayers.linearForward(out, in, weight, bias, rows, inDim, outDim);
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
    ReferenceLayers.linearBackward(din, dweight, dbias, dout, in, weight, rows, inDim, outDim);
  }

  @Override
  public void activationForward(Activation f, Tensor out, Tensor in, int n) {
    ReferenceLayers.activationForward(f, out, in, n);
  }

  @Override
  public void activationBackward(Activation f, Tensor din, Tensor in, Tensor dout, int n) {
    ReferenceLayers.activationBackward(f, din, in, dout, n);
  }

  @Override
  public void residualForward(Tensor out, Tensor a, Tensor b, int n) {
    ReferenceLayers.residualForward(out, a, b, n);
  }

  @Override
  public void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    ReferenceLayers.residualBackward(da, db, dout, n);
  }

  @Override
  public void attentionForward(
      Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int t, int c, int nh) {
    ReferenceAttention.forward(out, preatt, att, qkv, b, t, c, nh);
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
    ReferenceAttention.backward(dqkv, dpreatt, datt, dout, qkv, att, b, t, c, nh);
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
    ReferenceLayers.crossEntropyForward(losses, probs, logits, targets, rows, v, vp, ignoreIndex);
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
    ReferenceLayers.crossEntropyBackward(dlogits, probs, targets, dloss, rows, v, vp, ignoreIndex);
  }

  @Override
  public void mseForward(Tensor losses, Tensor pred, Tensor target, int rows) {
    ReferenceLayers.mseForward(losses, pred, target, rows);
  }

  @Override
  public void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows) {
    ReferenceLayers.mseBackward(dpred, pred, target, dloss, rows);
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
    CpuAdam.checkStep(step);
    int n = param.intSize();
    FloatBuffer p = Operands.f32(param, n, "adamW param");
    FloatBuffer g = Operands.f32(grad, n, "adamW grad");
    FloatBuffer mb = Operands.f32(m, n, "adamW m");
    FloatBuffer vb = Operands.f32(v, n, "adamW v");
    double biasCorrection1 = 1.0 - Math.pow(beta1, step);
    double biasCorrection2 = 1.0 - Math.pow(beta2, step);
    for (int i = 0; i < n; i++) {
      float gi = g.get(i) * gradScale;
      float mi = beta1 * mb.get(i) + (1f - beta1) * gi;
      float vi = beta2 * vb.get(i) + (1f - beta2) * gi * gi;
      mb.put(i, mi);
      vb.put(i, vi);
      double mhat = mi / biasCorrection1;
      double vhat = vi / biasCorrection2;
      float pi = p.get(i);
      // Decoupled weight decay: shrink the parameter itself, not the gradient.
      p.put(i, (float) (pi - lr * (mhat / (Math.sqrt(vhat) + eps) + weightDecay * pi)));
    }
  }

  @Override
  public void close() {
    memory.close();
  }
}
