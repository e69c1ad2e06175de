package dev.sparkspeed.zero.backend.cuda;

import static dev.sparkspeed.zero.tensor.DType.FP32;
import static dev.sparkspeed.zero.tensor.DType.INT32;

import dev.sparkspeed.zero.backend.Activation;
import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * The layer kernels of {@link CudaBackend}, FP32 activations and parameters. Shapes and semantics
 * are the {@link dev.sparkspeed.zero.backend.Backend} interface's; each method checks its views'
 * sizes before launching, since a kernel reading past a view corrupts memory silently. With {@link
 * HalfOperands} the linear layers' GEMMs round their operands to 16 bits (FP32 accumulation and
 * FP32 outputs); everything else stays FP32.
 */
final class CudaLayers {
  private final CudaKernels k;
  private final CudaGemm gemm;
  private final DeviceTensors t;
  private final int multiprocessors;
  private final HalfOperands half; // null: FP32 GEMMs
  private final CublasLt lt; // null: no fused epilogues (FP32 GEMMs)

  CudaLayers(
      CudaKernels kernels,
      CudaGemm gemm,
      DeviceTensors tensors,
      int multiprocessors,
      HalfOperands half,
      CublasLt lt) {
    this.lt = lt;
    this.k = kernels;
    this.gemm = gemm;
    this.t = tensors;
    this.multiprocessors = multiprocessors;
    this.half = half;
  }

  void encoderForward(Tensor out, Tensor tokens, Tensor wte, Tensor wpe, int b, int tt, int c) {
    long n = (long) b * tt * c;
    k.elementwise(
        "encoder_forward_kernel",
        n,
        k.args()
            .ptr(t.ptr(out, FP32, n, "out"))
            .ptr(t.ptr(tokens, INT32, (long) b * tt, "tokens"))
            .ptr(t.ptr(wte, FP32, c, "wte"))
            .ptr(t.ptr(wpe, FP32, (long) tt * c, "wpe"))
            .i32(b)
            .i32(tt)
            .i32(c));
  }

  void encoderBackward(Tensor dwte, Tensor dwpe, Tensor dout, Tensor tokens, int b, int tt, int c) {
    long n = (long) b * tt * c;
    long pdout = t.ptr(dout, FP32, n, "dout");
    long ptok = t.ptr(tokens, INT32, (long) b * tt, "tokens");
    k.elementwise(
        "encoder_backward_wpe_kernel",
        (long) tt * c,
        k.args().ptr(t.ptr(dwpe, FP32, (long) tt * c, "dwpe")).ptr(pdout).i32(b).i32(tt).i32(c));
    k.elementwise(
        "encoder_backward_wte_kernel",
        n,
        k.args().ptr(t.ptr(dwte, FP32, c, "dwte")).ptr(pdout).ptr(ptok).i32(b).i32(tt).i32(c));
  }

  void layerNormForward(
      Tensor out, Tensor mean, Tensor rstd, Tensor in, Tensor w, Tensor bias, int rows, int cols) {
    long n = (long) rows * cols;
    k.perRowWarp(
        "layernorm_forward_kernel",
        rows,
        k.args()
            .ptr(t.ptr(out, FP32, n, "out"))
            .ptr(t.ptr(mean, FP32, rows, "mean"))
            .ptr(t.ptr(rstd, FP32, rows, "rstd"))
            .ptr(t.ptr(in, FP32, n, "in"))
            .ptr(t.ptr(w, FP32, cols, "weight"))
            .ptr(bias == null ? 0 : t.ptr(bias, FP32, cols, "bias"))
            .i32(rows)
            .i32(cols));
  }

  void layerNormBackward(
      Tensor din,
      Tensor dw,
      Tensor db,
      Tensor dout,
      Tensor in,
      Tensor w,
      Tensor mean,
      Tensor rstd,
      int rows,
      int cols) {
    long n = (long) rows * cols;
    long pdout = t.ptr(dout, FP32, n, "dout");
    long pin = t.ptr(in, FP32, n, "in");
    long pmean = t.ptr(mean, FP32, rows, "mean");
    long prstd = t.ptr(rstd, FP32, rows, "rstd");
    k.perRowWarp(
        "layernorm_backward_input_kernel",
        rows,
        k.args()
            .ptr(t.ptr(din, FP32, n, "din"))
            .ptr(pdout)
            .ptr(pin)
            .ptr(t.ptr(w, FP32, cols, "weight"))
            .ptr(pmean)
            .ptr(prstd)
            .i32(rows)
            .i32(cols));
    if (rows == 0 || cols == 0) {
      return;
    }
    long tiles = Launch.ceilDiv(cols, CudaKernels.BLOCK);
    int chunk = Launch.rowsPerChunk(rows, tiles, multiprocessors);
    k.launch(
        "layernorm_backward_params_kernel",
        tiles,
        (int) Launch.ceilDiv(rows, chunk),
        CudaKernels.BLOCK,
        k.args()
            .ptr(t.ptr(dw, FP32, cols, "dweight"))
            .ptr(db == null ? 0 : t.ptr(db, FP32, cols, "dbias"))
            .ptr(pdout)
            .ptr(pin)
            .ptr(pmean)
            .ptr(prstd)
            .i32(rows)
            .i32(cols)
            .i32(chunk));
  }

  void linearForward(
      Tensor out, Tensor in, Tensor w, Tensor bias, int rows, int inDim, int outDim) {
    // out (rows,outDim) = in (rows,inDim) · wᵀ, w (outDim,inDim)
    if (half == null) {
      gemm.gemm(
          false, true, rows, outDim, inDim, 1f, in, inDim, 0, w, inDim, 0, 0f, out, outDim, 0, 1);
    } else {
      long pout = t.ptr(out, FP32, (long) rows * outDim, "out");
      long pin = half.operand(HalfOperands.FIRST, in, (long) rows * inDim, "in");
      long pw = half.operand(HalfOperands.SECOND, w, (long) outDim * inDim, "weight");
      if (bias != null && lt != null) {
        long pbias = t.ptr(bias, FP32, outDim, "bias");
        GemmMapping.Call call =
            GemmMapping.rowMajor(false, true, rows, outDim, inDim, inDim, inDim, outDim);
        k.timer().begin("gemm+bias " + call);
        boolean fused =
            lt.matmul(call, half.type(), 1f, pw, pin, 0f, pout, CublasLt.Epilogue.BIAS, pbias);
        k.timer().end();
        if (fused) {
          return;
        }
      }
      gemm.raw(
          false,
          true,
          rows,
          outDim,
          inDim,
          1f,
          pin,
          inDim,
          0,
          pw,
          inDim,
          0,
          0f,
          pout,
          outDim,
          0,
          1,
          half.type(),
          FP32);
    }
    if (bias != null) {
      addBias(out, bias, rows, outDim);
    }
  }

  /** out (rows, cols) += bias broadcast over rows. */
  private void addBias(Tensor out, Tensor bias, int rows, int cols) {
    long n = (long) rows * cols;
    long pout = t.ptr(out, FP32, n, "out");
    long pbias = t.ptr(bias, FP32, cols, "bias");
    if (cols % 4 == 0 && CudaKernels.aligned(16, pout, pbias)) {
      int cols4 = cols / 4;
      long tiles = Launch.ceilDiv(cols4, CudaKernels.BLOCK);
      // Enough row strides to fill every multiprocessor several times.
      int strides = (int) Math.max(1, Math.min(rows, multiprocessors * 16L / tiles));
      k.launch(
          "add_bias4_kernel",
          tiles,
          strides,
          CudaKernels.BLOCK,
          k.args().ptr(pout).ptr(pbias).i64(rows).i32(cols4));
      return;
    }
    k.elementwise("add_bias_kernel", n, k.args().ptr(pout).ptr(pbias).i64(rows).i32(cols));
  }

  void linearBackward(
      Tensor din,
      Tensor dw,
      Tensor db,
      Tensor dout,
      Tensor in,
      Tensor w,
      int rows,
      int inDim,
      int outDim) {
    boolean biasDone = false;
    if (half != null) {
      biasDone = linearBackwardHalf(din, dw, db, dout, in, w, rows, inDim, outDim);
    } else {
      linearBackwardFp32(din, dw, dout, in, w, rows, inDim, outDim);
    }
    if (db != null && !biasDone) {
      columnSum(db, dout, rows, outDim);
    }
  }

  private void linearBackwardFp32(
      Tensor din, Tensor dw, Tensor dout, Tensor in, Tensor w, int rows, int inDim, int outDim) {
    if (din != null) {
      // din (rows,inDim) += dout (rows,outDim) · w (outDim,inDim)
      gemm.gemm(
          false, false, rows, inDim, outDim, 1f, dout, outDim, 0, w, inDim, 0, 1f, din, inDim, 0,
          1);
    }
    // dw (outDim,inDim) += doutᵀ (outDim,rows) · in (rows,inDim)
    gemm.gemm(
        true, false, outDim, inDim, rows, 1f, dout, outDim, 0, in, inDim, 0, 1f, dw, inDim, 0, 1);
  }

  /**
   * As the FP32 path with every GEMM operand rounded to 16 bits; gradients accumulate in FP32. With
   * cuBLASLt the bias gradient comes out of the weight gradient's GEMM (summed from the same 16-bit
   * dout); returns whether it did.
   */
  private boolean linearBackwardHalf(
      Tensor din,
      Tensor dw,
      Tensor db,
      Tensor dout,
      Tensor in,
      Tensor w,
      int rows,
      int inDim,
      int outDim) {
    DType h = half.type();
    long pdw = t.ptr(dw, FP32, (long) outDim * inDim, "dweight");
    long pdout = half.operand(HalfOperands.FIRST, dout, (long) rows * outDim, "dout");
    if (din != null) {
      long pdin = t.ptr(din, FP32, (long) rows * inDim, "din");
      long pw = half.operand(HalfOperands.SECOND, w, (long) outDim * inDim, "weight");
      gemm.raw(
          false, false, rows, inDim, outDim, 1f, pdout, outDim, 0, pw, inDim, 0, 1f, pdin, inDim, 0,
          1, h, FP32);
    }
    long pin = half.operand(HalfOperands.THIRD, in, (long) rows * inDim, "in");
    if (db != null && lt != null) {
      long scratch = lt.biasGradientScratch(outDim);
      GemmMapping.Call call =
          GemmMapping.rowMajor(true, false, outDim, inDim, rows, outDim, inDim, inDim);
      k.timer().begin("gemm+dbias " + call);
      boolean fused =
          lt.matmul(call, h, 1f, pin, pdout, 1f, pdw, CublasLt.Epilogue.BIAS_GRADIENT_B, scratch);
      k.timer().end();
      if (fused) {
        k.elementwise(
            "axpy_kernel",
            outDim,
            k.args().ptr(t.ptr(db, FP32, outDim, "dbias")).ptr(scratch).i64(outDim).f32(1f));
        return true;
      }
    }
    gemm.raw(
        true, false, outDim, inDim, rows, 1f, pdout, outDim, 0, pin, inDim, 0, 1f, pdw, inDim, 0, 1,
        h, FP32);
    return false;
  }

  /** sums (cols) += column sums of x (rows, cols). */
  void columnSum(Tensor sums, Tensor x, int rows, int cols) {
    if (rows == 0 || cols == 0) {
      return;
    }
    long tiles = Launch.ceilDiv(cols, CudaKernels.BLOCK);
    int chunk = Launch.rowsPerChunk(rows, tiles, multiprocessors);
    k.launch(
        "column_sum_kernel",
        tiles,
        (int) Launch.ceilDiv(rows, chunk),
        CudaKernels.BLOCK,
        k.args()
            .ptr(t.ptr(sums, FP32, cols, "dbias"))
            .ptr(t.ptr(x, FP32, (long) rows * cols, "dout"))
            .i32(rows)
            .i32(cols)
            .i32(chunk));
  }

  void activationForward(Activation f, Tensor out, Tensor in, int n) {
    k.elementwise(
        "activation_forward_kernel",
        n,
        k.args()
            .i32(f.ordinal())
            .ptr(t.ptr(out, FP32, n, "out"))
            .ptr(t.ptr(in, FP32, n, "in"))
            .i64(n));
  }

  void activationBackward(Activation f, Tensor din, Tensor in, Tensor dout, int n) {
    k.elementwise(
        "activation_backward_kernel",
        n,
        k.args()
            .i32(f.ordinal())
            .ptr(t.ptr(din, FP32, n, "din"))
            .ptr(t.ptr(in, FP32, n, "in"))
            .ptr(t.ptr(dout, FP32, n, "dout"))
            .i64(n));
  }

  void residualForward(Tensor out, Tensor a, Tensor b, int n) {
    k.elementwise(
        "residual_forward_kernel",
        n,
        k.args()
            .ptr(t.ptr(out, FP32, n, "out"))
            .ptr(t.ptr(a, FP32, n, "a"))
            .ptr(t.ptr(b, FP32, n, "b"))
            .i64(n));
  }

  void residualBackward(Tensor da, Tensor db, Tensor dout, int n) {
    k.elementwise(
        "residual_backward_kernel",
        n,
        k.args()
            .ptr(t.ptr(da, FP32, n, "da"))
            .ptr(t.ptr(db, FP32, n, "db"))
            .ptr(t.ptr(dout, FP32, n, "dout"))
            .i64(n));
  }

  void mseForward(Tensor losses, Tensor pred, Tensor target, int rows) {
    k.elementwise(
        "mse_forward_kernel",
        rows,
        k.args()
            .ptr(t.ptr(losses, FP32, rows, "losses"))
            .ptr(t.ptr(pred, FP32, rows, "pred"))
            .ptr(t.ptr(target, FP32, rows, "target"))
            .i32(rows));
  }

  void mseBackward(Tensor dpred, Tensor pred, Tensor target, float dloss, int rows) {
    k.elementwise(
        "mse_backward_kernel",
        rows,
        k.args()
            .ptr(t.ptr(dpred, FP32, rows, "dpred"))
            .ptr(t.ptr(pred, FP32, rows, "pred"))
            .ptr(t.ptr(target, FP32, rows, "target"))
            .f32(dloss)
            .i32(rows));
  }

  void crossEntropyForward(
      Tensor losses,
      Tensor probs,
      Tensor logits,
      Tensor targets,
      int rows,
      int v,
      int vp,
      int ignore) {
    requireVocab(v, vp);
    long n = (long) rows * vp;
    if (rows == 0) {
      return;
    }
    long pprobs = t.ptr(probs, FP32, n, "probs");
    long plogits = t.ptr(logits, FP32, n, "logits");
    boolean wide = vp % 4 == 0 && CudaKernels.aligned(16, pprobs, plogits);
    k.launch(
        wide ? "crossentropy_forward4_kernel" : "crossentropy_forward_kernel",
        rows,
        1,
        CudaKernels.BLOCK * 2,
        k.args()
            .ptr(t.ptr(losses, FP32, rows, "losses"))
            .ptr(pprobs)
            .ptr(plogits)
            .ptr(t.ptr(targets, INT32, rows, "targets"))
            .i32(rows)
            .i32(v)
            .i32(vp)
            .i32(ignore));
  }

  void crossEntropyBackward(
      Tensor dlogits,
      Tensor probs,
      Tensor targets,
      float dloss,
      int rows,
      int v,
      int vp,
      int ignore) {
    requireVocab(v, vp);
    long n = (long) rows * vp;
    if (rows == 0) {
      return;
    }
    long pdlogits = t.ptr(dlogits, FP32, n, "dlogits");
    long pprobs = t.ptr(probs, FP32, n, "probs");
    boolean wide = vp % 4 == 0 && CudaKernels.aligned(16, pdlogits, pprobs);
    k.launch(
        wide ? "crossentropy_backward4_kernel" : "crossentropy_backward_kernel",
        rows,
        1,
        CudaKernels.BLOCK * 2,
        k.args()
            .ptr(pdlogits)
            .ptr(pprobs)
            .ptr(t.ptr(targets, INT32, rows, "targets"))
            .f32(dloss)
            .i32(rows)
            .i32(v)
            .i32(vp)
            .i32(ignore));
  }

  private static void requireVocab(int v, int vp) {
    if (v <= 0 || vp < v) {
      throw new IllegalArgumentException("vocabulary v=" + v + " must be positive and ≤ vp=" + vp);
    }
  }
}
