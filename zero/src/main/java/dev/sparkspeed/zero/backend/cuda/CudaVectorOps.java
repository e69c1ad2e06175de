package dev.sparkspeed.zero.backend.cuda;

import static dev.sparkspeed.zero.tensor.DType.FP32;

import dev.sparkspeed.zero.tensor.DType;
import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;

/**
 * The data-movement and flat-vector calls of {@link CudaBackend}: copies and casts, transfers
 * through pinned staging, fill, scale, axpy, the fused AdamW update, and the two reductions whose
 * result the host reads (sum of squares in double, the non-finite flag). Reductions write block
 * partials to a small scratch area outside the memory pool, so they never show up in live-byte
 * counts.
 */
final class CudaVectorOps implements AutoCloseable {
  private static final int PARTIALS = 1024;

  private final CudaKernels kernels;
  private final DeviceTensors tensors;
  private final PinnedStaging staging;
  private final CUstream_st stream;
  private final long scratch;
  private final Pointer hostScratch;
  private final BytePointer hostFlag;
  private final ByteBuffer hostScratchView;

  CudaVectorOps(
      CudaKernels kernels, DeviceTensors tensors, PinnedStaging staging, CUstream_st stream) {
    this.kernels = kernels;
    this.tensors = tensors;
    this.staging = staging;
    this.stream = stream;
    this.scratch = Cuda.malloc(PARTIALS * 8L + 8);
    this.hostScratch = Cuda.mallocPinned(PARTIALS * 8L + 8);
    BytePointer bytes = new BytePointer(hostScratch).capacity(PARTIALS * 8L + 8);
    this.hostFlag = bytes.getPointer(PARTIALS * 8L);
    this.hostScratchView = bytes.asByteBuffer().order(ByteOrder.nativeOrder());
  }

  void copy(Tensor dst, Tensor src) {
    requireSameSize(dst, src, "copy");
    if (dst.isHost() && !src.isHost()) {
      download(dst, src);
    } else if (!dst.isHost() && src.isHost()) {
      upload(dst, src);
    } else if (dst.dtype() == src.dtype()) {
      Cuda.copyOnDevice(
          tensors.ptr(dst), tensors.ptr(src), dst.size() * dst.dtype().bytes(), stream);
    } else {
      kernels.elementwise(
          "cast_kernel",
          dst.size(),
          kernels
              .args()
              .ptr(tensors.ptr(dst))
              .i32(DeviceTensors.floatCode(dst, "copy dst"))
              .ptr(tensors.ptr(src))
              .i32(DeviceTensors.floatCode(src, "copy src"))
              .i64(dst.size()));
    }
  }

  void upload(Tensor dst, Tensor hostSrc) {
    requireTransfer(dst, hostSrc, "upload");
    staging.upload(tensors.ptr(dst), hostSrc.bytes());
  }

  void download(Tensor hostDst, Tensor src) {
    requireTransfer(src, hostDst, "download");
    staging.download(hostDst.bytes(), tensors.ptr(src));
  }

  private static void requireTransfer(Tensor device, Tensor host, String what) {
    if (!host.isHost()) {
      throw new IllegalArgumentException(what + ": " + host + " is not host memory");
    }
    if (device.dtype() != host.dtype()) {
      throw new IllegalArgumentException(
          what + ": dtypes differ (" + device + " vs " + host + "); convert with copy on one side");
    }
    requireSameSize(device, host, what);
  }

  private static void requireSameSize(Tensor a, Tensor b, String what) {
    if (a.size() != b.size()) {
      throw new IllegalArgumentException(what + ": sizes differ, " + a + " vs " + b);
    }
  }

  void fill(Tensor t, float value) {
    long p = tensors.ptr(t);
    if (value == 0f && Float.floatToRawIntBits(value) == 0) {
      Cuda.zero(p, t.size() * t.dtype().bytes(), stream);
    } else if (t.dtype() == DType.INT32) {
      kernels.elementwise(
          "fill_i32_kernel", t.size(), kernels.args().ptr(p).i64(t.size()).i32((int) value));
    } else {
      kernels.elementwise(
          "fill_kernel",
          t.size(),
          kernels.args().ptr(p).i64(t.size()).i32(DeviceTensors.floatCode(t, "fill")).f32(value));
    }
  }

  void scale(Tensor t, float s) {
    DeviceTensors.require(t, FP32, "scale");
    kernels.elementwise(
        "scale_kernel", t.size(), kernels.args().ptr(tensors.ptr(t)).i64(t.size()).f32(s));
  }

  void axpy(Tensor y, float a, Tensor x) {
    requireSameSize(y, x, "axpy");
    long py = tensors.ptr(y, FP32, y.size(), "axpy y");
    long px = tensors.ptr(x, FP32, y.size(), "axpy x");
    kernels.elementwise(
        "axpy_kernel", y.size(), kernels.args().ptr(py).ptr(px).i64(y.size()).f32(a));
  }

  double sumOfSquares(Tensor t) {
    long n = t.size();
    if (n == 0) {
      return 0;
    }
    int blocks = (int) Math.min(kernels.elementwiseBlocks(n), PARTIALS);
    kernels.launch(
        "sum_squares_kernel",
        blocks,
        1,
        CudaKernels.BLOCK,
        kernels
            .args()
            .ptr(scratch)
            .ptr(tensors.ptr(t))
            .i64(n)
            .i32(DeviceTensors.floatCode(t, "sumOfSquares")));
    Cuda.copyToHost(hostScratch, scratch, blocks * 8L, stream);
    Cuda.synchronize(stream);
    double total = 0;
    for (int i = 0; i < blocks; i++) {
      total += hostScratchView.getDouble(i * 8);
    }
    return total;
  }

  boolean allFinite(Tensor t) {
    long flag = scratch + PARTIALS * 8L;
    Cuda.zero(flag, 4, stream);
    kernels.elementwise(
        "non_finite_kernel",
        t.size(),
        kernels
            .args()
            .ptr(flag)
            .ptr(tensors.ptr(t))
            .i64(t.size())
            .i32(DeviceTensors.floatCode(t, "allFinite")));
    Cuda.copyToHost(hostFlag, flag, 4, stream);
    Cuda.synchronize(stream);
    return hostScratchView.getInt(PARTIALS * 8) == 0;
  }

  /**
   * One fused AdamW update over a flat FP32 shard, as {@link
   * dev.sparkspeed.zero.backend.Backend#adamW}.
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
      int step) {
    if (step < 1) {
      throw new IllegalArgumentException("adamW step " + step + " must be 1 or more");
    }
    long n = param.size();
    long pp = tensors.ptr(param, FP32, n, "param");
    long pg = tensors.ptr(grad, FP32, n, "grad");
    long pm = tensors.ptr(m, FP32, n, "adam m");
    long pv = tensors.ptr(v, FP32, n, "adam v");
    float bc1 = (float) (1.0 - Math.pow(beta1, step));
    float sqrtBc2 = (float) Math.sqrt(1.0 - Math.pow(beta2, step));
    kernels.elementwise(
        "adamw_kernel",
        n,
        kernels
            .args()
            .ptr(pp)
            .ptr(pg)
            .ptr(pm)
            .ptr(pv)
            .i64(n)
            .f32(lr)
            .f32(beta1)
            .f32(beta2)
            .f32(eps)
            .f32(weightDecay)
            .f32(gradScale)
            .f32(bc1)
            .f32(sqrtBc2));
  }

  @Override
  public void close() {
    Cuda.free(scratch);
    Cuda.freePinned(hostScratch);
  }
}
