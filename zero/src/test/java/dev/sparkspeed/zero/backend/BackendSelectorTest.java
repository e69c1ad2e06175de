package dev.sparkspeed.zero.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.backend.BackendSelector.Decision;
import dev.sparkspeed.zero.backend.BackendSelector.Kind;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class BackendSelectorTest {
  private static final CudaProbe.Result NO_GPU =
      new CudaProbe.Result(false, "libcuda.so.1 not found: no NVIDIA driver on this machine", 0);
  private static final CudaProbe.Result TWO_GPUS = new CudaProbe.Result(true, "", 2);

  @Test
  void cpuNeverNeedsAGpu() {
    assertEquals(new Decision(Kind.CPU, -1, ""), BackendSelector.decide("cpu", NO_GPU));
    assertEquals(Kind.CPU, BackendSelector.decide(" CPU ", TWO_GPUS).kind());
  }

  @Test
  void autoPrefersTheGpuAndOtherwiseFallsBackSayingWhy() {
    assertEquals(new Decision(Kind.CUDA, 0, ""), BackendSelector.decide("auto", TWO_GPUS));
    Decision d = BackendSelector.decide("auto", NO_GPU);
    assertEquals(Kind.CPU, d.kind());
    assertTrue(d.fallbackReason().contains("libcuda.so.1"));
  }

  @Test
  void cudaWithoutAGpuFailsSayingWhatIsMissingAndWhatToSet() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BackendSelector.decide("cuda", NO_GPU));
    assertTrue(e.getMessage().contains("libcuda.so.1 not found"), e.getMessage());
    assertTrue(e.getMessage().contains("\"device\": \"cpu\""), e.getMessage());
  }

  @Test
  void cudaOrdinalsAreCheckedAgainstTheVisibleDevices() {
    assertEquals(new Decision(Kind.CUDA, 1, ""), BackendSelector.decide("cuda:1", TWO_GPUS));
    assertThrows(IllegalArgumentException.class, () -> BackendSelector.decide("cuda:2", TWO_GPUS));
    assertThrows(IllegalArgumentException.class, () -> BackendSelector.decide("cuda:x", TWO_GPUS));
  }

  @Test
  void aGivenGpuIsWhatCudaAndAutoMean() {
    assertEquals(new Decision(Kind.CUDA, 1, ""), BackendSelector.decide("cuda", 1, TWO_GPUS));
    assertEquals(new Decision(Kind.CUDA, 1, ""), BackendSelector.decide("auto", 1, TWO_GPUS));
    assertEquals(new Decision(Kind.CUDA, 1, ""), BackendSelector.decide("cuda:1", 1, TWO_GPUS));
    assertEquals(new Decision(Kind.CUDA, 0, ""), BackendSelector.decide("cuda", -1, TWO_GPUS));
    assertEquals(Kind.CPU, BackendSelector.decide("auto", 1, NO_GPU).kind());
    IllegalArgumentException other =
        assertThrows(
            IllegalArgumentException.class, () -> BackendSelector.decide("cuda:0", 1, TWO_GPUS));
    assertTrue(other.getMessage().contains("names another GPU than GPU 1"), other.getMessage());
    IllegalArgumentException unseen =
        assertThrows(
            IllegalArgumentException.class, () -> BackendSelector.decide("cuda", 2, TWO_GPUS));
    assertTrue(unseen.getMessage().contains("given GPU 2 but 2 are visible"), unseen.getMessage());
    IllegalArgumentException none =
        assertThrows(
            IllegalArgumentException.class, () -> BackendSelector.decide("cuda", 0, NO_GPU));
    assertTrue(none.getMessage().contains("libcuda.so.1"), none.getMessage());
  }

  @Test
  void onceForwardsOnlyTheFirstMessage() {
    java.util.List<String> seen = new java.util.ArrayList<>();
    java.util.function.Consumer<String> once = BackendSelector.once(seen::add);
    once.accept("first");
    once.accept("second");
    assertEquals(java.util.List.of("first"), seen);
  }

  @Test
  void unknownSettingsNameTheChoices() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BackendSelector.decide("gpu", TWO_GPUS));
    assertTrue(
        e.getMessage().contains("\"cpu\", \"cuda\", \"cuda:N\" or \"auto\""), e.getMessage());
  }

  @Test
  void openingCudaOnThisMachineFailsWithTheProbesReasonWhenThereIsNoGpu() {
    CudaProbe.Result probe = CudaProbe.probe();
    Assumptions.assumeFalse(probe.available(), "this machine has a usable GPU");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BackendSelector.open("cuda"));
    assertTrue(e.getMessage().contains(probe.reason()), e.getMessage());
  }

  @Test
  void autoOpensTheCpuBackendWhenThereIsNoGpu() throws Exception {
    Assumptions.assumeFalse(CudaProbe.probe().available(), "this machine has a usable GPU");
    Assumptions.assumeTrue(
        cpuBackendPresent(), BackendSelector.CPU_BACKEND + " not on this branch");
    try (Backend b = BackendSelector.open("auto")) {
      assertTrue(b.name().startsWith("cpu"), b.name());
    }
  }

  @Test
  void theCpuIgnoresTheLayerGemmTypeOfMixedPrecision() throws Exception {
    Assumptions.assumeTrue(
        cpuBackendPresent(), BackendSelector.CPU_BACKEND + " not on this branch");
    try (Backend b = BackendSelector.open("cpu", dev.sparkspeed.zero.tensor.DType.BF16)) {
      assertTrue(b.name().startsWith("cpu"), b.name());
    }
  }

  private static boolean cpuBackendPresent() {
    try {
      Class.forName(BackendSelector.CPU_BACKEND);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }
}
