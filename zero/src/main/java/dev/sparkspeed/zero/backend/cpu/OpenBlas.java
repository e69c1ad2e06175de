package dev.sparkspeed.zero.backend.cpu;

import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Every native OpenBLAS call the CPU backend makes. Buffers are passed as direct {@link
 * FloatBuffer}s; JavaCPP hands the native side the buffer's address <em>plus its position</em>, so
 * each operand is passed as a slice starting at its offset, position 0.
 *
 * <p>OpenBLAS runs sgemm on its own threads. It sizes that pool from the host's CPU count, which in
 * a container or a Spark executor can be far more than the process may use; unless the user set
 * {@code OPENBLAS_NUM_THREADS} or {@code OMP_NUM_THREADS}, the pool is sized to {@link
 * Runtime#availableProcessors()} instead.
 */
final class OpenBlas {
  private static volatile int threads = configureThreads();

  private OpenBlas() {}

  private static int configureThreads() {
    String fromEnv = System.getenv("OPENBLAS_NUM_THREADS");
    if (fromEnv == null) {
      fromEnv = System.getenv("OMP_NUM_THREADS");
    }
    if (fromEnv != null) {
      try {
        return Integer.parseInt(fromEnv.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            "OPENBLAS_NUM_THREADS/OMP_NUM_THREADS '" + fromEnv + "' is not a number of threads", e);
      }
    }
    int threads = Runtime.getRuntime().availableProcessors();
    org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(threads);
    return threads;
  }

  /** Threads OpenBLAS uses for one sgemm. */
  static int threads() {
    return threads;
  }

  /**
   * Sizes OpenBLAS's pool (process-wide) unless OPENBLAS_NUM_THREADS or OMP_NUM_THREADS is set,
   * which always wins. Returns the threads in use afterwards.
   */
  static synchronized int setThreads(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("OpenBLAS threads " + n + " must be at least 1");
    }
    if (System.getenv("OPENBLAS_NUM_THREADS") == null && System.getenv("OMP_NUM_THREADS") == null) {
      org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(n);
      threads = n;
    }
    return threads;
  }

  /**
   * Row-major C = alpha·op(A)·op(B) + beta·C with each operand starting at an element offset of its
   * buffer. Buffers must be direct; their own positions are ignored.
   */
  static void sgemm(
      boolean transA,
      boolean transB,
      int m,
      int n,
      int k,
      float alpha,
      FloatBuffer a,
      long aOffset,
      int lda,
      FloatBuffer b,
      long bOffset,
      int ldb,
      float beta,
      FloatBuffer c,
      long cOffset,
      int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    openblas_nolapack.cblas_sgemm(
        openblas_nolapack.CblasRowMajor,
        transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
        transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
        m,
        n,
        k,
        alpha,
        from(a, aOffset),
        lda,
        from(b, bOffset),
        ldb,
        beta,
        from(c, cOffset),
        ldc);
  }

  private static FloatBuffer from(FloatBuffer buffer, long offset) {
    if (!buffer.isDirect()) {
      throw new IllegalArgumentException("OpenBLAS needs direct (off-heap) buffers");
    }
    int start = Math.toIntExact(offset);
    return buffer.slice(start, buffer.capacity() - start);
  }
}
