package dev.sparkspeed.trainer.rank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.Backend;
import dev.sparkspeed.zero.backend.BackendSelector;
import dev.sparkspeed.zero.backend.BackendSelector.Decision;
import dev.sparkspeed.zero.backend.BackendSelector.Kind;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import dev.sparkspeed.zero.config.SparkSpeedConfig.Device;
import dev.sparkspeed.zero.tensor.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class RankBackendTest {
  private static final CudaProbe.Result NO_DRIVER =
      new CudaProbe.Result(false, "libcuda.so.1 not found: no NVIDIA driver on this machine", 0);
  private static final CudaProbe.Result TWO_GPUS = new CudaProbe.Result(true, "", 2);

  @Test
  void cpuOpensTheCpuBackendWithoutAFallbackNotice() throws Exception {
    List<String> notices = new ArrayList<>();
    try (Backend b = RankBackend.open(Device.CPU, 0, 0, 1, DType.BF16, notices::add)) {
      assertTrue(b.name().startsWith("cpu"), b.name());
    }
    assertEquals(List.of(), notices);
    assertEquals(new Decision(Kind.CPU, -1, ""), RankBackend.decide(Device.CPU, 1, 0, TWO_GPUS));
  }

  @Test
  void autoWithoutATaskGpuTrainsOnTheCpuAndSaysWhyOnce() throws Exception {
    List<String> notices = new ArrayList<>();
    Consumer<String> once = BackendSelector.once(notices::add);
    for (int rank = 0; rank < 2; rank++) {
      try (Backend b = RankBackend.open(Device.AUTO, -1, rank, 1, DType.FP32, once)) {
        assertTrue(b.name().startsWith("cpu"), b.name());
      }
    }
    assertEquals(List.of(RankBackend.NO_TASK_GPU), notices);
    assertTrue(notices.get(0).contains("spark.task.resource.gpu.amount"), notices.get(0));
  }

  @Test
  void autoWithATaskGpuButNoDriverFallsBackGivingTheProbesReason() throws Exception {
    Decision d = RankBackend.decide(Device.AUTO, 0, 0, NO_DRIVER);
    assertEquals(Kind.CPU, d.kind());
    assertEquals(NO_DRIVER.reason(), d.fallbackReason());
    CudaProbe.Result here = CudaProbe.probe();
    Assumptions.assumeFalse(here.available(), "this machine has a usable GPU");
    List<String> notices = new ArrayList<>();
    try (Backend b = RankBackend.open(Device.AUTO, 0, 0, 1, DType.FP32, notices::add)) {
      assertTrue(b.name().startsWith("cpu"), b.name());
    }
    assertEquals(List.of(here.reason()), notices);
  }

  @Test
  void cudaWithoutADriverIsASettingsErrorNamingWhatIsMissing() {
    CudaProbe.Result here = CudaProbe.probe();
    Assumptions.assumeFalse(here.available(), "this machine has a usable GPU");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> RankBackend.open(Device.CUDA, 0, 0, 1, DType.BF16, m -> {}));
    assertTrue(e.getMessage().contains(here.reason()), e.getMessage());
    assertTrue(e.getMessage().contains("Set \"device\": \"cpu\" or \"auto\""), e.getMessage());
    assertTrue(RankRun.isDataOrSettingsError(e), "a retry would fail the same way");
  }

  @Test
  void cudaUsesTheTaskGpuOrElseTheRanksOwn() {
    assertEquals(new Decision(Kind.CUDA, 1, ""), RankBackend.decide(Device.CUDA, 1, 0, TWO_GPUS));
    assertEquals(new Decision(Kind.CUDA, 1, ""), RankBackend.decide(Device.AUTO, 1, 0, TWO_GPUS));
    assertEquals(new Decision(Kind.CUDA, 1, ""), RankBackend.decide(Device.CUDA, -1, 1, TWO_GPUS));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> RankBackend.decide(Device.CUDA, -1, 2, TWO_GPUS));
    assertTrue(e.getMessage().contains("rank 2 needs a GPU of its own"), e.getMessage());
    assertTrue(e.getMessage().contains("only 2 are visible"), e.getMessage());
  }
}
