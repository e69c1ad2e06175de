package dev.sparkspeed.zero.backend.cuda;

import static dev.sparkspeed.zero.tensor.DType.FP32;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Causal multi-head self-attention as strided-batched GEMMs over the heads of one sequence plus the
 * fused masked softmax. q, k and v are read in place from qkv (B,T,3C): head h of sequence b is a
 * (T, hs) matrix with row stride 3C starting at b·T·3C + {0, C, 2C} + h·hs, so consecutive heads
 * sit hs elements apart and one batched call covers all NH heads of a sequence.
 *
 * <p>With {@link HalfOperands} the GEMMs run in 16 bits: qkv and dout are rounded into scratch
 * slots per call, and the (B,NH,T,T) scores — preatt, att, datt, dpreatt — are kept as 16-bit
 * values packed into the first half of their FP32 buffers. That halves the memory traffic of the
 * T×T matrices, which dominate attention's cost; it is invisible to callers because att is only
 * read back by {@link #backward} and the other three are scratch.
 */
final class CudaAttention {
  private final CudaKernels k;
  private final CudaGemm gemm;
  private final DeviceTensors t;
  private final HalfOperands half; // null: FP32 GEMMs and scores
  private final int computeCapability;
  private final boolean flashEnabled =
      Boolean.parseBoolean(System.getProperty(FLASH_PROPERTY, "true"));

  /** System property: "false" turns the fused attention kernels off. */
  static final String FLASH_PROPERTY = "sparkspeed.cuda.flashAttention";

  private static final int FLASH_HEAD = 64;
  private static final int FLASH_TILE = 64;
  private static final int FLASH_THREADS = 128;

  CudaAttention(
      CudaKernels kernels,
      CudaGemm gemm,
      DeviceTensors tensors,
      HalfOperands half,
      int computeCapability) {
    this.computeCapability = computeCapability;
    this.k = kernels;
    this.gemm = gemm;
    this.t = tensors;
    this.half = half;
  }

  /** The type of the GEMM operands and of the stored scores. */
  private DType scoreType() {
    return half == null ? FP32 : half.type();
  }

  /**
   * Whether the fused kernels of flash_attention.cu apply: BF16 GEMMs on sm_80 or newer, head size
   * 64, T a multiple of 64. They keep per row only the log-sum-exp and a BF16 copy of the output,
   * both in att's buffer (B·NH·T·(1 + 32) floats of its B·NH·T·T), and use datt's for the
   * backward's row sums. The system property {@value #FLASH_PROPERTY}=false turns them off (the
   * GEMM path then runs).
   */
  private boolean flash(int tt, int hs) {
    return flashEnabled
        && computeCapability >= 80
        && half != null
        && half.type() == DType.BF16
        && hs == FLASH_HEAD
        && tt % FLASH_TILE == 0;
  }

  private void flashForward(long pout, long patt, long pqkv, int b, int tt, int c, int nh) {
    long rows = (long) b * nh * tt;
    long src = half.operandAt(HalfOperands.FIRST, pqkv, (long) b * tt * 3 * c);
    k.launch(
        "flash_attention_forward_kernel",
        tt / FLASH_TILE,
        b * nh,
        FLASH_THREADS,
        k.args()
            .ptr(pout)
            .ptr(patt)
            .ptr(patt + rows * FP32.bytes())
            .ptr(src)
            .i32(tt)
            .i32(c)
            .i32(nh)
            .f32((float) (1.0 / Math.sqrt(FLASH_HEAD))));
  }

  private void flashBackward(
      long pdqkv, long pdatt, long pdout, long pqkv, long patt, int b, int tt, int c, int nh) {
    long rows = (long) b * nh * tt;
    long o16 = patt + rows * FP32.bytes();
    long src = half.operandAt(HalfOperands.FIRST, pqkv, (long) b * tt * 3 * c);
    long gout = half.cast(HalfOperands.SECOND, pdout, (long) b * tt * c);
    k.perRowWarp(
        "flash_attention_delta_kernel",
        rows,
        k.args().ptr(pdatt).ptr(pdout).ptr(o16).i32(b).i32(tt).i32(c).i32(nh));
    k.launch(
        "flash_attention_backward_kernel",
        tt / FLASH_TILE,
        b * nh,
        FLASH_THREADS,
        k.args()
            .ptr(pdqkv)
            .ptr(src)
            .ptr(gout)
            .ptr(patt)
            .ptr(pdatt)
            .i32(tt)
            .i32(c)
            .i32(nh)
            .f32((float) (1.0 / Math.sqrt(FLASH_HEAD))));
  }

  void forward(Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int tt, int c, int nh) {
    int hs = headSize(c, nh);
    long scores = (long) b * nh * tt * tt;
    long qkvSize = (long) b * tt * 3 * c;
    long pout = t.ptr(out, FP32, (long) b * tt * c, "out");
    long ppre = t.ptr(preatt, FP32, scores, "preatt");
    long patt = t.ptr(att, FP32, scores, "att");
    long pqkv = t.ptr(qkv, FP32, qkvSize, "qkv");
    if (flash(tt, hs)) {
      flashForward(pout, patt, pqkv, b, tt, c, nh);
      return;
    }
    DType s16 = scoreType();
    int e = s16.bytes();
    long src = half == null ? pqkv : half.operandAt(HalfOperands.FIRST, pqkv, qkvSize);
    float scale = (float) (1.0 / Math.sqrt(hs));
    long tt2 = (long) tt * tt;
    for (int s = 0; s < b; s++) {
      long q = src + (long) s * tt * 3 * c * e;
      long kk = q + (long) c * e;
      long pre = ppre + s * nh * tt2 * e;
      // preatt (T,T) = scale · q (T,hs) · kᵀ, per head
      gemm.raw(
          false, true, tt, tt, hs, scale, q, 3 * c, hs, kk, 3 * c, hs, 0f, pre, tt, tt2, nh, s16,
          s16);
    }
    if (wide16(s16, tt, patt, ppre)) {
      k.perRowWarp(
          "causal_softmax_forward16_kernel",
          (long) b * nh * tt,
          k.args()
              .ptr(patt)
              .ptr(ppre)
              .i32(s16 == DType.BF16 ? 1 : 0)
              .i64((long) b * nh * tt)
              .i32(tt));
    } else {
      k.perRowWarp(
          "causal_softmax_forward_kernel",
          (long) b * nh * tt,
          k.args()
              .ptr(patt)
              .ptr(ppre)
              .i32(HalfOperands.typeCode(s16))
              .i64((long) b * nh * tt)
              .i32(tt));
    }
    for (int s = 0; s < b; s++) {
      long v = src + ((long) s * tt * 3 * c + 2L * c) * e;
      long a = patt + s * nh * tt2 * e;
      long o = pout + (long) s * tt * c * FP32.bytes();
      // out (T,hs) = att (T,T) · v (T,hs), per head; out's row stride is C
      gemm.raw(false, false, tt, hs, tt, 1f, a, tt, tt2, v, 3 * c, hs, 0f, o, c, hs, nh, s16, FP32);
    }
  }

  void backward(
      Tensor dqkv,
      Tensor dpreatt,
      Tensor datt,
      Tensor dout,
      Tensor qkv,
      Tensor att,
      int b,
      int tt,
      int c,
      int nh) {
    int hs = headSize(c, nh);
    long scores = (long) b * nh * tt * tt;
    long qkvSize = (long) b * tt * 3 * c;
    long outSize = (long) b * tt * c;
    long pdqkv = t.ptr(dqkv, FP32, qkvSize, "dqkv");
    long pdpre = t.ptr(dpreatt, FP32, scores, "dpreatt");
    long pdatt = t.ptr(datt, FP32, scores, "datt");
    long pdout = t.ptr(dout, FP32, outSize, "dout");
    long pqkv = t.ptr(qkv, FP32, qkvSize, "qkv");
    long patt = t.ptr(att, FP32, scores, "att");
    if (flash(tt, hs)) {
      flashBackward(pdqkv, pdatt, pdout, pqkv, patt, b, tt, c, nh);
      return;
    }
    DType s16 = scoreType();
    int e = s16.bytes();
    int f = FP32.bytes();
    long src = half == null ? pqkv : half.operandAt(HalfOperands.FIRST, pqkv, qkvSize);
    long gout = half == null ? pdout : half.cast(HalfOperands.SECOND, pdout, outSize);
    float scale = (float) (1.0 / Math.sqrt(hs));
    long tt2 = (long) tt * tt;
    int ld = 3 * c;
    for (int s = 0; s < b; s++) {
      long v = src + ((long) s * tt * 3 * c + 2L * c) * e;
      long dv = pdqkv + ((long) s * tt * 3 * c + 2L * c) * f;
      long d = gout + (long) s * tt * c * e;
      long a = patt + s * nh * tt2 * e;
      long da = pdatt + s * nh * tt2 * e;
      // datt (T,T) = dout (T,hs) · vᵀ
      gemm.raw(false, true, tt, tt, hs, 1f, d, c, hs, v, ld, hs, 0f, da, tt, tt2, nh, s16, s16);
      // dv (T,hs) += attᵀ (T,T) · dout (T,hs)
      gemm.raw(true, false, tt, hs, tt, 1f, a, tt, tt2, d, c, hs, 1f, dv, ld, hs, nh, s16, FP32);
    }
    if (wide16(s16, tt, pdpre, patt, pdatt)) {
      k.perRowWarp(
          "causal_softmax_backward16_kernel",
          (long) b * nh * tt,
          k.args()
              .ptr(pdpre)
              .ptr(patt)
              .ptr(pdatt)
              .i32(s16 == DType.BF16 ? 1 : 0)
              .i64((long) b * nh * tt)
              .i32(tt));
    } else {
      k.perRowWarp(
          "causal_softmax_backward_kernel",
          (long) b * nh * tt,
          k.args()
              .ptr(pdpre)
              .ptr(patt)
              .ptr(pdatt)
              .i32(HalfOperands.typeCode(s16))
              .i64((long) b * nh * tt)
              .i32(tt));
    }
    for (int s = 0; s < b; s++) {
      long q = src + (long) s * tt * 3 * c * e;
      long kk = q + (long) c * e;
      long dq = pdqkv + (long) s * tt * 3 * c * f;
      long dk = dq + (long) c * f;
      long dp = pdpre + s * nh * tt2 * e;
      // dq (T,hs) += scale · dpreatt (T,T) · k (T,hs)
      gemm.raw(
          false, false, tt, hs, tt, scale, dp, tt, tt2, kk, ld, hs, 1f, dq, ld, hs, nh, s16, FP32);
      // dk (T,hs) += scale · dpreattᵀ (T,T) · q (T,hs)
      gemm.raw(
          true, false, tt, hs, tt, scale, dp, tt, tt2, q, ld, hs, 1f, dk, ld, hs, nh, s16, FP32);
    }
  }

  /** The 16-bit softmax kernels read eight scores per load: rows of 16-byte-aligned chunks. */
  private static boolean wide16(DType scores, int tt, long... buffers) {
    return scores != FP32 && tt % 8 == 0 && CudaKernels.aligned(16, buffers);
  }

  private static int headSize(int c, int nh) {
    if (nh <= 0 || c % nh != 0) {
      throw new IllegalArgumentException("channels " + c + " not divisible by heads " + nh);
    }
    return c / nh;
  }
}
