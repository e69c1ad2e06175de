package dev.sparkspeed.zero.backend.cpu;

import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * Every native OpenBLAS call the CPU backend and the TCP ring's reductions make. Buffers are passed
 * as direct {@link FloatBuffer}s; JavaCPP hands the native side the buffer's address <em>plus its
 * position</em>, so each operand is passed as a slice starting at its offset, position 0.
 *
 * <p>OpenBLAS runs sgemm on its own threads. It sizes that pool from the host's CPU count, which in
 * a container or a Spark executor can be far more than the process may use; unless the user set
 * {@code OPENBLAS_NUM_THREADS} or {@code OMP_NUM_THREADS}, the pool is sized to {@link
 * Runtime#availableProcessors()} instead.
 */
public final class OpenBlas {
  /**
   * Elements per saxpy call in {@link #addInto}: OpenBLAS runs saxpy on the calling thread up to
   * 10,000 elements and hands larger ones to its sgemm pool, which a communication thread must not
   * wake while the training thread multiplies.
   */
  private static final int CALLER_THREAD_ELEMENTS = 8192;

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

  /**
   * y[i] = x[i] + y[i] for the first {@code n} floats of two direct buffers (from their positions),
   * on the calling thread. saxpy with alpha 1 multiplies exactly, so each element is the sum
   * rounded once, bit for bit what Java's {@code x + y} gives, at memory speed without copies.
   */
  public static void addInto(FloatBuffer y, FloatBuffer x, int n) {
    if (!y.isDirect() || !x.isDirect()) {
      throw new IllegalArgumentException("OpenBLAS needs direct (off-heap) buffers");
    }
    if (n > y.remaining() || n > x.remaining()) {
      throw new IndexOutOfBoundsException(
          "adding " + n + " floats but x holds " + x.remaining() + " and y " + y.remaining());
    }
    for (int i = 0; i < n; i += CALLER_THREAD_ELEMENTS) {
      int m = Math.min(CALLER_THREAD_ELEMENTS, n - i);
      openblas_nolapack.cblas_saxpy(
          m, 1f, x.slice(x.position() + i, m), 1, y.slice(y.position() + i, m), 1);
    }
  }

  private static FloatBuffer from(FloatBuffer buffer, long offset) {
    if (!buffer.isDirect()) {
      throw new IllegalArgumentException("OpenBLAS needs direct (off-heap) buffers");
    }
    int start = Math.toIntExact(offset);
    return buffer.slice(start, buffer.capacity() - start);
  }
}
