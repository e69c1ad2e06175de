package dev.sparkspeed.zero.backend.cuda;

import java.util.List;

/**
 * What NVRTC builds for a device: a CUBIN for the device's own architecture when NVRTC knows it,
 * else PTX for the newest architecture it knows below the device (the driver finishes the
 * compilation at load time).
 *
 * @param arch "sm_90" for a CUBIN, "compute_89" for PTX
 * @param cubin true when arch is a real architecture
 */
record CompileTarget(String arch, boolean cubin) {

  /**
   * @param computeCapability major·10 + minor, e.g. 90
   * @param supported real architectures NVRTC can build, e.g. [75, 80, 86, 89, 90, 100, 120]
   * @throws CudaException when the device is older than everything NVRTC supports
   */
  static CompileTarget choose(int computeCapability, int[] supported) {
    int best = -1;
    for (int a : supported) {
      if (a == computeCapability) {
        return new CompileTarget("sm_" + a, true);
      }
      if (a < computeCapability && a > best) {
        best = a;
      }
    }
    if (best < 0) {
      throw new CudaException(
          "this NVRTC cannot build for compute capability "
              + computeCapability / 10
              + "."
              + computeCapability % 10
              + " (it supports "
              + java.util.Arrays.toString(supported)
              + "); use a GPU of capability 7.5 or newer");
    }
    return new CompileTarget("compute_" + best, false);
  }

  /** NVRTC options: the target, C++17, and no fast-math (kernels must match the CPU closely). */
  List<String> options() {
    return List.of("--gpu-architecture=" + arch, "--std=c++17");
  }
}
