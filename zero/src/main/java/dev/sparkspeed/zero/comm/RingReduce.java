package dev.sparkspeed.zero.comm;

import dev.sparkspeed.zero.backend.cpu.OpenBlas;
import dev.sparkspeed.zero.tensor.DType;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;

/**
 * The reduction kernels of the ring: dst = wire + local, element by element, in FP32. 16-bit data
 * is widened exactly, summed in FP32 and rounded to nearest even only where the result is final, so
 * a segment's sum is rounded once however many ranks contribute. FP32 sums run in OpenBLAS (saxpy
 * with alpha 1, exact) straight on the direct buffers: the reduction reads each operand once, which
 * matters because it shares the cores with the kernel's socket copies. 16-bit data works through
 * small heap blocks, because the JIT vectorizes loops over arrays and bulk copies between direct
 * buffers and arrays are memcpy-speed. One instance per communication thread.
 */
final class RingReduce {
  private static final int BLOCK = 4096;

  private final float[] acc = new float[BLOCK];
  private final float[] add = new float[BLOCK];
  private final short[] bits = new short[BLOCK];

  /**
   * @param dtype the tensors' type (FP32, BF16 or FP16)
   * @param wire received values, native order: FP32, or {@code dtype} when {@code wireHalf}
   * @param wireHalf whether the wire holds 16-bit values (a rank's own data) or FP32 partial sums
   * @param local this rank's contribution, {@code n} values of {@code dtype}
   * @param dst where the sum goes: {@code dtype} when {@code dstHalf}, else FP32; {@code local}
   *     itself (the same object) or memory disjoint from it
   * @param n number of elements
   */
  void add(
      DType dtype,
      ByteBuffer wire,
      boolean wireHalf,
      ByteBuffer local,
      ByteBuffer dst,
      boolean dstHalf,
      int n) {
    if (dtype == DType.FP32) {
      if (dst != local) {
        dst.put(0, local, 0, n * 4);
      }
      OpenBlas.addInto(dst.asFloatBuffer(), wire.asFloatBuffer(), n);
      return;
    }
    FloatBuffer wireF = wireHalf ? null : wire.asFloatBuffer();
    ShortBuffer wireH = wireHalf ? wire.asShortBuffer() : null;
    boolean localHalf = dtype.isHalf();
    FloatBuffer localF = localHalf ? null : local.asFloatBuffer();
    ShortBuffer localH = localHalf ? local.asShortBuffer() : null;
    FloatBuffer dstF = dstHalf ? null : dst.asFloatBuffer();
    ShortBuffer dstH = dstHalf ? dst.asShortBuffer() : null;
    for (int i = 0; i < n; i += BLOCK) {
      int m = Math.min(BLOCK, n - i);
      if (wireHalf) {
        wireH.get(i, bits, 0, m);
        widen(dtype, bits, acc, m);
      } else {
        wireF.get(i, acc, 0, m);
      }
      if (localHalf) {
        localH.get(i, bits, 0, m);
        widen(dtype, bits, add, m);
      } else {
        localF.get(i, add, 0, m);
      }
      sum(acc, add, m);
      if (dstHalf) {
        narrow(dtype, acc, bits, m);
        dstH.put(i, bits, 0, m);
      } else {
        dstF.put(i, acc, 0, m);
      }
    }
  }

  private static void sum(float[] acc, float[] add, int m) {
    for (int j = 0; j < m; j++) {
      acc[j] += add[j];
    }
  }

  private static void widen(DType dtype, short[] in, float[] out, int m) {
    if (dtype == DType.BF16) {
      for (int j = 0; j < m; j++) {
        out[j] = Float.intBitsToFloat(in[j] << 16);
      }
    } else {
      for (int j = 0; j < m; j++) {
        out[j] = DType.fp16ToFloat(in[j]);
      }
    }
  }

  private static void narrow(DType dtype, float[] in, short[] out, int m) {
    if (dtype == DType.BF16) {
      for (int j = 0; j < m; j++) {
        out[j] = DType.floatToBf16(in[j]);
      }
    } else {
      for (int j = 0; j < m; j++) {
        out[j] = DType.floatToFp16(in[j]);
      }
    }
  }
}
