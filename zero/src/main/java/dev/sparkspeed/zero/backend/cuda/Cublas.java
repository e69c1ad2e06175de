package dev.sparkspeed.zero.backend.cuda;

import static org.bytedeco.cuda.global.cublas.*;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;

import dev.sparkspeed.zero.tensor.DType;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;

/**
 * cuBLAS calls, column-major as cuBLAS defines them; {@link GemmMapping} turns the backend's
 * row-major requests into these. Every product accumulates in FP32; FP32 inputs may use TF32 tensor
 * cores when allowed.
 */
final class Cublas implements AutoCloseable {
  private final cublasContext handle = new cublasContext();
  private final FloatPointer alpha = new FloatPointer(1);
  private final FloatPointer beta = new FloatPointer(1);
  private final boolean allowTf32;

  Cublas(CUstream_st stream, boolean allowTf32) {
    check(cublasCreate_v2(handle), "cublasCreate");
    check(cublasSetStream_v2(handle, stream), "cublasSetStream");
    this.allowTf32 = allowTf32;
  }

  /** One column-major GEMM: C = alpha·op(A)·op(B) + beta·C. */
  void gemm(
      GemmMapping.Call call,
      DType inType,
      DType outType,
      float a,
      long aPtr,
      long bPtr,
      float b,
      long cPtr) {
    alpha.put(a);
    beta.put(b);
    check(
        cublasGemmEx(
            handle,
            op(call.transA()),
            op(call.transB()),
            call.m(),
            call.n(),
            call.k(),
            alpha,
            Cuda.at(aPtr),
            dataType(inType),
            call.lda(),
            Cuda.at(bPtr),
            dataType(inType),
            call.ldb(),
            beta,
            Cuda.at(cPtr),
            dataType(outType),
            call.ldc(),
            computeType(inType),
            CUBLAS_GEMM_DEFAULT),
        "cublasGemmEx " + call);
  }

  /** {@code batch} GEMMs whose operands sit {@code stride} elements apart. */
  void gemmStridedBatched(
      GemmMapping.Call call,
      DType inType,
      DType outType,
      float a,
      long aPtr,
      long strideA,
      long bPtr,
      long strideB,
      float b,
      long cPtr,
      long strideC,
      int batch) {
    alpha.put(a);
    beta.put(b);
    check(
        cublasGemmStridedBatchedEx(
            handle,
            op(call.transA()),
            op(call.transB()),
            call.m(),
            call.n(),
            call.k(),
            alpha,
            Cuda.at(aPtr),
            dataType(inType),
            call.lda(),
            strideA,
            Cuda.at(bPtr),
            dataType(inType),
            call.ldb(),
            strideB,
            beta,
            Cuda.at(cPtr),
            dataType(outType),
            call.ldc(),
            strideC,
            batch,
            computeType(inType),
            CUBLAS_GEMM_DEFAULT),
        "cublasGemmStridedBatchedEx " + call + " batch " + batch);
  }

  private int computeType(DType in) {
    return in == DType.FP32 && allowTf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  }

  private static int op(boolean trans) {
    return trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  }

  static int dataType(DType t) {
    return switch (t) {
      case FP32 -> CUDA_R_32F;
      case BF16 -> CUDA_R_16BF;
      case FP16 -> CUDA_R_16F;
      case INT32 -> throw new IllegalArgumentException("GEMM on INT32 tensors is not supported");
    };
  }

  static void check(int status, String call) {
    if (status != CUBLAS_STATUS_SUCCESS) {
      throw new CudaException(call + " failed: " + cublasGetStatusName(status).getString());
    }
  }

  @Override
  public void close() {
    cublasDestroy_v2(handle);
    alpha.close();
    beta.close();
  }
}
