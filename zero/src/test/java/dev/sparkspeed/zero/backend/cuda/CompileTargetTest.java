package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CompileTargetTest {
  private static final int[] NVRTC_13 = {75, 80, 86, 87, 88, 89, 90, 100, 103, 110, 120, 121};

  @Test
  void aKnownArchitectureGetsACubin() {
    CompileTarget t = CompileTarget.choose(90, NVRTC_13);
    assertEquals(new CompileTarget("sm_90", true), t);
    assertTrue(t.options().contains("--gpu-architecture=sm_90"));
  }

  @Test
  void anUnknownNewerArchitectureGetsPtxForTheNewestBelowIt() {
    assertEquals(new CompileTarget("compute_121", false), CompileTarget.choose(130, NVRTC_13));
    assertEquals(new CompileTarget("compute_90", false), CompileTarget.choose(95, NVRTC_13));
  }

  @Test
  void aDeviceOlderThanNvrtcSupportsIsRefusedWithItsCapability() {
    CudaException e = assertThrows(CudaException.class, () -> CompileTarget.choose(70, NVRTC_13));
    assertTrue(e.getMessage().contains("7.0"), e.getMessage());
  }
}
