package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.config.SparkSpeedConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the compute backend a rank trains on, from {@code sparkspeed.device}. */
final class RankBackend {
  private static final Logger LOG = LoggerFactory.getLogger(RankBackend.class);

  private RankBackend() {}

  /**
   * @param gpu the GPU Spark assigned to the task, or -1
   * @param cpus cores the task may use: the backend's threads for non-GEMM kernels and OpenBLAS's
   * @throws UnsupportedOperationException for "cuda", which this build cannot run
   */
  static Backend open(SparkSpeedConfig.Device device, int gpu, int cpus) {
    if (device == SparkSpeedConfig.Device.CUDA) {
      throw new UnsupportedOperationException(
          "sparkspeed.device is \"cuda\", but this build trains on the CPU backend only; set"
              + " \"device\" to \"cpu\" or \"auto\"");
    }
    if (gpu >= 0) {
      LOG.info("task has GPU {} but trains on the CPU backend (device {})", gpu, device);
    }
    // Each rank gets its task's cores; several ranks in one executor share the process-wide pool.
    CpuBackend.setBlasThreads(Math.max(1, cpus));
    return new CpuBackend(Math.max(1, cpus), Long.MAX_VALUE);
  }
}
