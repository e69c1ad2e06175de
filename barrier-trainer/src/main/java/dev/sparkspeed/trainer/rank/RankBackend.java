package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.BackendSelector;
import dev.sparkspeed.zero.backend.cpu.CpuBackend;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import dev.sparkspeed.zero.config.SparkSpeedConfig;
import dev.sparkspeed.zero.tensor.DType;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Opens the compute backend a rank trains on, from {@code sparkspeed.device}. */
final class RankBackend {
  private static final Logger LOG = LoggerFactory.getLogger(RankBackend.class);

  /** Why "auto" trains on the CPU when Spark scheduled no GPU for the task. */
  static final String NO_TASK_GPU =
      "the Spark task was given no GPU (set spark.task.resource.gpu.amount=1 and the executor's"
          + " GPU resource to train on GPUs)";

  private RankBackend() {}

  /**
   * Opens the backend for {@code device}: "cpu" the CPU backend; "cuda" the CUDA backend on the
   * task's GPU (on GPU {@code rank} when Spark assigned none, as in local mode, where every rank
   * runs in one process); "auto" CUDA when the task has a GPU that CUDA can use, else the CPU, with
   * the reason logged once per process.
   *
   * @param gpu the GPU Spark assigned to the task, or -1
   * @param rank the rank, which picks the GPU when Spark assigned none
   * @param cpus cores the task may use: the CPU backend's threads for non-GEMM kernels and
   *     OpenBLAS's
   * @param layerGemm operand type of the CUDA layer GEMMs: the 16-bit type of mixed precision, or
   *     FP32
   * @throws IllegalArgumentException for "cuda" where CUDA is unusable, naming what is missing and
   *     the setting to change
   */
  static Backend open(
      SparkSpeedConfig.Device device, int gpu, int rank, int cpus, DType layerGemm) {
    return open(device, gpu, rank, cpus, layerGemm, BackendSelector.LOG_CPU_FALLBACK_ONCE);
  }

  /**
   * As {@link #open(SparkSpeedConfig.Device, int, int, int, DType)}, telling a fallback to {@code
   * fallback}.
   */
  static Backend open(
      SparkSpeedConfig.Device device,
      int gpu,
      int rank,
      int cpus,
      DType layerGemm,
      Consumer<String> fallback) {
    BackendSelector.Decision d = decide(device, gpu, rank, CudaProbe.probe());
    if (d.kind() == BackendSelector.Kind.CUDA) {
      LOG.info(
          "rank {} trains on the CUDA backend, GPU {} (layer GEMMs in {})",
          rank,
          d.cudaDevice(),
          layerGemm);
      return BackendSelector.openCuda(d, layerGemm);
    }
    if (!d.fallbackReason().isEmpty()) {
      fallback.accept(d.fallbackReason());
    } else if (gpu >= 0) {
      LOG.info("task has GPU {} but trains on the CPU backend (device {})", gpu, device);
    }
    // Each rank gets its task's cores; several ranks in one executor share the process-wide pool.
    CpuBackend.setBlasThreads(Math.max(1, cpus));
    return new CpuBackend(Math.max(1, cpus), Long.MAX_VALUE);
  }

  /**
   * Where a rank computes.
   *
   * @param gpu the GPU Spark assigned to the task, or -1
   * @param cuda what the CUDA probe found; consulted only when CUDA may be used
   */
  static BackendSelector.Decision decide(
      SparkSpeedConfig.Device device, int gpu, int rank, CudaProbe.Result cuda) {
    if (device == SparkSpeedConfig.Device.CPU) {
      return new BackendSelector.Decision(BackendSelector.Kind.CPU, -1, "");
    }
    if (device == SparkSpeedConfig.Device.AUTO && gpu < 0) {
      return new BackendSelector.Decision(BackendSelector.Kind.CPU, -1, NO_TASK_GPU);
    }
    String setting = device.name().toLowerCase(Locale.ROOT);
    if (gpu >= 0) {
      return BackendSelector.decide(setting, gpu, cuda);
    }
    BackendSelector.Decision any = BackendSelector.decide(setting, cuda);
    if (rank >= cuda.deviceCount()) {
      throw new IllegalArgumentException(
          "rank "
              + rank
              + " needs a GPU of its own: Spark gave its task none, so rank r uses GPU r, but"
              + " only "
              + cuda.deviceCount()
              + " are visible; lower the world size to "
              + cuda.deviceCount()
              + ", give each task a GPU (spark.task.resource.gpu.amount=1 outside local mode), or"
              + " set \"device\" to \"cpu\"");
    }
    return new BackendSelector.Decision(any.kind(), rank, "");
  }
}
