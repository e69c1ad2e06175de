package dev.sparkspeed.zero.backend.cuda;

import static org.bytedeco.cuda.global.cublas.*;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;

import dev.sparkspeed.zero.tensor.DType;
import java.util.HashMap;
import java.util.Map;
import org.bytedeco.cuda.cublas.cublasLtContext;
import org.bytedeco.cuda.cublas.cublasLtMatmulAlgo_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulDescOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulHeuristicResult_t;
import org.bytedeco.cuda.cublas.cublasLtMatmulPreferenceOpaque_t;
import org.bytedeco.cuda.cublas.cublasLtMatrixLayoutOpaque_t;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * cuBLASLt GEMMs with a fused epilogue, column-major like {@link Cublas}: the bias added to every
 * column of the product (the linear layer's forward pass), or the bias gradient reduced from B
 * while the weight gradient is formed (its backward pass). Each shape gets a plan once (descriptors
 * and the heuristic's algorithm), so steady-state calls only set the bias address and launch. A
 * shape the library has no algorithm for reports false, and the caller falls back to a plain GEMM
 * and a separate kernel.
 */
final class CublasLt implements AutoCloseable {
  /** What the epilogue does. */
  enum Epilogue {
    /** D = op(A)·op(B) + bias broadcast over columns (bias has m elements). */
    BIAS(CUBLASLT_EPILOGUE_BIAS),
    /** D = op(A)·op(B) + beta·C, and bias = the sum of op(B) over k (n elements), written. */
    BIAS_GRADIENT_B(CUBLASLT_EPILOGUE_BGRADB);

    final int code;

    Epilogue(int code) {
      this.code = code;
    }
  }

  private static final long WORKSPACE_BYTES = 32L << 20;

  private final cublasLtContext handle = new cublasLtContext();
  private final CUstream_st stream;
  private final DeviceBuffer workspace;
  private final FloatPointer alpha = new FloatPointer(1);
  private final FloatPointer beta = new FloatPointer(1);
  private final LongPointer biasAddress = new LongPointer(1);
  private final Map<String, Plan> plans = new HashMap<>();
  private final DeviceMemoryPool pool;
  private DeviceBuffer biasGradient;

  CublasLt(CUstream_st stream, DeviceMemoryPool pool) {
    Cublas.check(cublasLtCreate(handle), "cublasLtCreate");
    this.stream = stream;
    this.pool = pool;
    this.workspace = pool.allocate("cublaslt_workspace", DType.FP32, WORKSPACE_BYTES / 4);
  }

  /**
   * D = C = alpha·op(A)·op(B) + beta·C with the epilogue; A and B of {@code in}, C FP32.
   *
   * @return false when cuBLASLt has no algorithm for this shape and epilogue (nothing was queued)
   */
  boolean matmul(
      GemmMapping.Call call,
      DType in,
      float a,
      long aPtr,
      long bPtr,
      float b,
      long cPtr,
      Epilogue epilogue,
      long bias) {
    Plan p = plans.computeIfAbsent(call + " " + in + " " + epilogue, k -> plan(call, in, epilogue));
    if (p.algo == null) {
      return false;
    }
    alpha.put(a);
    beta.put(b);
    biasAddress.put(bias);
    Cublas.check(
        cublasLtMatmulDescSetAttribute(
            p.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, biasAddress, Long.BYTES),
        "cublasLtMatmulDescSetAttribute bias");
    Cublas.check(
        cublasLtMatmul(
            handle,
            p.desc,
            alpha,
            Cuda.at(aPtr),
            p.a,
            Cuda.at(bPtr),
            p.b,
            beta,
            Cuda.at(cPtr),
            p.c,
            Cuda.at(cPtr),
            p.c,
            p.algo,
            Cuda.at(workspace.address()),
            WORKSPACE_BYTES,
            stream),
        "cublasLtMatmul " + call + " " + epilogue);
    return true;
  }

  /**
   * Device address of an FP32 scratch of at least n elements for a bias gradient the epilogue
   * writes (the backend's contract adds into gradients, so the caller adds it afterwards). Grows to
   * the largest n asked for and is kept.
   */
  long biasGradientScratch(long n) {
    if (biasGradient == null || biasGradient.elements() < n) {
      if (biasGradient != null) {
        biasGradient.close();
      }
      biasGradient = pool.allocate("bias_gradient", DType.FP32, Math.max(1, n));
    }
    return biasGradient.address();
  }

  /** Descriptors of one shape; algo null when the heuristic found none. */
  private record Plan(
      cublasLtMatmulDescOpaque_t desc,
      cublasLtMatrixLayoutOpaque_t a,
      cublasLtMatrixLayoutOpaque_t b,
      cublasLtMatrixLayoutOpaque_t c,
      cublasLtMatmulHeuristicResult_t result,
      cublasLtMatmulAlgo_t algo) {}

  private Plan plan(GemmMapping.Call call, DType in, Epilogue epilogue) {
    try (PointerPointer<?> out = new PointerPointer<>(1);
        IntPointer value = new IntPointer(1);
        LongPointer bytes = new LongPointer(1)) {
      Cublas.check(cublasLtMatmulDescCreate(out, CUBLAS_COMPUTE_32F, CUDA_R_32F), "descCreate");
      cublasLtMatmulDescOpaque_t desc = new cublasLtMatmulDescOpaque_t(out.get(0));
      setInt(desc, CUBLASLT_MATMUL_DESC_TRANSA, call.transA() ? CUBLAS_OP_T : CUBLAS_OP_N, value);
      setInt(desc, CUBLASLT_MATMUL_DESC_TRANSB, call.transB() ? CUBLAS_OP_T : CUBLAS_OP_N, value);
      setInt(desc, CUBLASLT_MATMUL_DESC_EPILOGUE, epilogue.code, value);
      int t = Cublas.dataType(in);
      cublasLtMatrixLayoutOpaque_t a =
          layout(
              out,
              t,
              call.transA() ? call.k() : call.m(),
              call.transA() ? call.m() : call.k(),
              call.lda());
      cublasLtMatrixLayoutOpaque_t b =
          layout(
              out,
              t,
              call.transB() ? call.n() : call.k(),
              call.transB() ? call.k() : call.n(),
              call.ldb());
      cublasLtMatrixLayoutOpaque_t c = layout(out, CUDA_R_32F, call.m(), call.n(), call.ldc());
      Cublas.check(cublasLtMatmulPreferenceCreate(out), "preferenceCreate");
      cublasLtMatmulPreferenceOpaque_t pref = new cublasLtMatmulPreferenceOpaque_t(out.get(0));
      bytes.put(WORKSPACE_BYTES);
      Cublas.check(
          cublasLtMatmulPreferenceSetAttribute(
              pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, bytes, Long.BYTES),
          "preferenceSetAttribute");
      cublasLtMatmulHeuristicResult_t result = new cublasLtMatmulHeuristicResult_t();
      int[] found = new int[1];
      int rc = cublasLtMatmulAlgoGetHeuristic(handle, desc, a, b, c, c, pref, 1, result, found);
      cublasLtMatmulPreferenceDestroy(pref);
      boolean usable = rc == CUBLAS_STATUS_SUCCESS && found[0] > 0;
      // The result struct owns the algorithm's bytes: the plan keeps it alive.
      return new Plan(desc, a, b, c, result, usable ? result.algo() : null);
    }
  }

  private static cublasLtMatrixLayoutOpaque_t layout(
      PointerPointer<?> out, int type, long rows, long cols, long ld) {
    Cublas.check(cublasLtMatrixLayoutCreate(out, type, rows, cols, ld), "layoutCreate");
    return new cublasLtMatrixLayoutOpaque_t(out.get(0));
  }

  private static void setInt(
      cublasLtMatmulDescOpaque_t desc, int attribute, int v, IntPointer value) {
    value.put(v);
    Cublas.check(
        cublasLtMatmulDescSetAttribute(desc, attribute, value, Integer.BYTES),
        "cublasLtMatmulDescSetAttribute " + attribute);
  }

  @Override
  public void close() {
    for (Plan p : plans.values()) {
      cublasLtMatrixLayoutDestroy(p.a);
      cublasLtMatrixLayoutDestroy(p.b);
      cublasLtMatrixLayoutDestroy(p.c);
      cublasLtMatmulDescDestroy(p.desc);
      p.result.close();
    }
    plans.clear();
    if (biasGradient != null) {
      biasGradient.close();
    }
    workspace.close();
    cublasLtDestroy(handle);
    alpha.close();
    beta.close();
    biasAddress.close();
  }
}
