package dev.sparkspeed.zero.backend.cuda;

/**
 * Tells, without throwing, whether this process can use a CUDA GPU: driver library present, CUDA 13
 * libraries present, bindings loadable, {@code cuInit} succeeds, at least one device. When not,
 * {@link Result#reason()} says what is missing and what to change. The outcome is computed once per
 * process (a failed native load cannot be retried in one JVM).
 */
public final class CudaProbe {
  private static volatile Result cached;

  private CudaProbe() {}

  /**
   * What the probe found.
   *
   * @param available true when a CUDA backend can be opened
   * @param reason empty when available; otherwise what is missing and how to fix it
   * @param deviceCount visible devices (0 when unavailable)
   */
  public record Result(boolean available, String reason, int deviceCount) {
    static Result missing(String reason) {
      return new Result(false, reason, 0);
    }
  }

  /** Probes once per process and remembers the answer. */
  public static Result probe() {
    Result r = cached;
    if (r == null) {
      synchronized (CudaProbe.class) {
        r = cached;
        if (r == null) {
          r = probe(CudaLibraries.fromEnvironment());
          cached = r;
        }
      }
    }
    return r;
  }

  /** Shorthand for {@code probe().available()}. */
  public static boolean available() {
    return probe().available();
  }

  /** Probes with an explicit library search; loads native code only when every library is found. */
  static Result probe(CudaLibraries libs) {
    String where = " (searched " + libs + ")";
    if (!libs.isPresent("libcuda.so.1")) {
      return Result.missing(
          "libcuda.so.1 not found: no NVIDIA driver on this machine"
              + where
              + "; install the driver or add its folder to LD_LIBRARY_PATH");
    }
    String[][] needed = {
      {"libcudart.so.13", "nvidia-cuda-runtime"},
      {"libcublas.so.13", "nvidia-cublas"},
      {"libcublasLt.so.13", "nvidia-cublas"},
      {"libnvrtc.so.13", "nvidia-cuda-nvrtc"},
    };
    for (String[] lib : needed) {
      if (!libs.isPresent(lib[0])) {
        return Result.missing(
            lib[0]
                + " not found"
                + where
                + ": install the CUDA 13 toolkit or the Python package "
                + lib[1]
                + ", and name its lib folder in "
                + CudaLibraries.LIB_DIRS_ENV
                + " or LD_LIBRARY_PATH");
      }
    }
    try {
      libs.prepareLoader();
      return Cuda.probeDevices();
    } catch (Throwable t) {
      // A missing symbol or library surfaces as an Error from the JVM's loader; the probe's
      // contract is to report, never to throw.
      return Result.missing("CUDA bindings failed to load: " + t);
    }
  }
}
