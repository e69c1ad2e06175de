package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CudaProbeTest {
  @TempDir Path dir;

  @Test
  void noDriverIsReportedByName() {
    CudaProbe.Result r =
        CudaProbe.probe(new CudaLibraries(List.of(dir), List.of(), dir.resolve("no-cache")));
    assertFalse(r.available());
    assertEquals(0, r.deviceCount());
    assertTrue(r.reason().startsWith("libcuda.so.1 not found"), r.reason());
    assertTrue(r.reason().contains(dir.toString()), "says where it looked: " + r.reason());
  }

  @Test
  void aMissingCudaLibraryNamesItAndThePackageThatShipsIt() throws Exception {
    Files.write(dir.resolve("libcuda.so.1"), new byte[1]);
    Files.write(dir.resolve("libcudart.so.13"), new byte[1]);
    CudaProbe.Result r =
        CudaProbe.probe(new CudaLibraries(List.of(), List.of(dir), dir.resolve("no-cache")));
    assertFalse(r.available());
    assertTrue(r.reason().startsWith("libcublas.so.13 not found"), r.reason());
    assertTrue(
        r.reason().contains("nvidia-cublas") && r.reason().contains(CudaLibraries.LIB_DIRS_ENV));
  }

  @Test
  void theProcessWideProbeNeverThrowsAndExplainsAnAbsence() {
    CudaProbe.Result r = CudaProbe.probe();
    assertEquals(r, CudaProbe.probe(), "computed once");
    if (!r.available()) {
      assertFalse(r.reason().isBlank());
    } else {
      assertTrue(r.deviceCount() > 0);
    }
  }
}
