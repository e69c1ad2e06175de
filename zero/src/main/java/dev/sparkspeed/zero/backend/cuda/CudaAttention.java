package dev.sparkspeed.zero.backend.cuda;

import static dev.sparkspeed.zero.tensor.DType.FP32;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Causal multi-head self-attention as strided-batched GEMMs over the heads of one sequence plus the
 * fused masked softmax. q, k and v are read in place from qkv (B,T,3C): head h of sequence b is a
 * (T, hs) matrix with row stride 3C starting at b·T·3C + {0, C, 2C} + h·hs, so consecutive heads
 * sit hs elements apart and one batched call covers all NH heads of a sequence.
 */
final class CudaAttention {
  private static final int F = 4; // bytes per FP32 element

  private final CudaKernels k;
  private final CudaGemm gemm;
  private final DeviceTensors t;

  CudaAttention(CudaKernels kernels, CudaGemm gemm, DeviceTensors tensors) {
    this.k = kernels;
    this.gemm = gemm;
    this.t = tensors;
  }

  void forward(Tensor out, Tensor preatt, Tensor att, Tensor qkv, int b, int tt, int c, int nh) {
    int hs = headSize(c, nh);
    long scores = (long) b * nh * tt * tt;
    long pout = t.ptr(out, FP32, (long) b * tt * c, "out");
    long ppre = t.ptr(preatt, FP32, scores, "preatt");
    long patt = t.ptr(att, FP32, scores, "att");
    long pqkv = t.ptr(qkv, FP32, (long) b * tt * 3 * c, "qkv");
    float scale = (float) (1.0 / Math.sqrt(hs));
    long tt2 = (long) tt * tt;
    for (int s = 0; s < b; s++) {
      long q = pqkv + (long) s * tt * 3 * c * F;
      long kk = q + (long) c * F;
      long pre = ppre + s * nh * tt2 * F;
      // preatt (T,T) = scale · q (T,hs) · kᵀ, per head
      gemm.raw(
          false, true, tt, tt, hs, scale, q, 3 * c, hs, kk, 3 * c, hs, 0f, pre, tt, tt2, nh, FP32,
          FP32);
    }
    k.perRowWarp(
        "causal_softmax_forward_kernel",
        (long) b * nh * tt,
        k.args().ptr(patt).ptr(ppre).i64((long) b * nh * tt).i32(tt));
    for (int s = 0; s < b; s++) {
      long v = pqkv + ((long) s * tt * 3 * c + 2L * c) * F;
      long a = patt + s * nh * tt2 * F;
      long o = pout + (long) s * tt * c * F;
      // out (T,hs) = att (T,T) · v (T,hs), per head; out's row stride is C
      gemm.raw(
          false, false, tt, hs, tt, 1f, a, tt, tt2, v, 3 * c, hs, 0f, o, c, hs, nh, FP32, FP32);
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
    long pdqkv = t.ptr(dqkv, FP32, (long) b * tt * 3 * c, "dqkv");
    long pdpre = t.ptr(dpreatt, FP32, scores, "dpreatt");
    long pdatt = t.ptr(datt, FP32, scores, "datt");
    long pdout = t.ptr(dout, FP32, (long) b * tt * c, "dout");
    long pqkv = t.ptr(qkv, FP32, (long) b * tt * 3 * c, "qkv");
    long patt = t.ptr(att, FP32, scores, "att");
    float scale = (float) (1.0 / Math.sqrt(hs));
    long tt2 = (long) tt * tt;
    int ld = 3 * c;
    for (int s = 0; s < b; s++) {
      long seq = (long) s * tt * 3 * c * F;
      long v = pqkv + seq + 2L * c * F;
      long dv = pdqkv + seq + 2L * c * F;
      long d = pdout + (long) s * tt * c * F;
      long a = patt + s * nh * tt2 * F;
      long da = pdatt + s * nh * tt2 * F;
      // datt (T,T) = dout (T,hs) · vᵀ
      gemm.raw(false, true, tt, tt, hs, 1f, d, c, hs, v, ld, hs, 0f, da, tt, tt2, nh, FP32, FP32);
      // dv (T,hs) += attᵀ (T,T) · dout (T,hs)
      gemm.raw(true, false, tt, hs, tt, 1f, a, tt, tt2, d, c, hs, 1f, dv, ld, hs, nh, FP32, FP32);
    }
    k.perRowWarp(
        "causal_softmax_backward_kernel",
        (long) b * nh * tt,
        k.args().ptr(pdpre).ptr(patt).ptr(pdatt).i64((long) b * nh * tt).i32(tt));
    for (int s = 0; s < b; s++) {
      long seq = (long) s * tt * 3 * c * F;
      long q = pqkv + seq;
      long kk = pqkv + seq + (long) c * F;
      long dq = pdqkv + seq;
      long dk = pdqkv + seq + (long) c * F;
      long dp = pdpre + s * nh * tt2 * F;
      // dq (T,hs) += scale · dpreatt (T,T) · k (T,hs)
      gemm.raw(
          false, false, tt, hs, tt, scale, dp, tt, tt2, kk, ld, hs, 1f, dq, ld, hs, nh, FP32, FP32);
      // dk (T,hs) += scale · dpreattᵀ (T,T) · q (T,hs)
      gemm.raw(
          true, false, tt, hs, tt, scale, dp, tt, tt2, q, ld, hs, 1f, dk, ld, hs, nh, FP32, FP32);
    }
  }

  private static int headSize(int c, int nh) {
    if (nh <= 0 || c % nh != 0) {
      throw new IllegalArgumentException("channels " + c + " not divisible by heads " + nh);
    }
    return c / nh;
  }
}
