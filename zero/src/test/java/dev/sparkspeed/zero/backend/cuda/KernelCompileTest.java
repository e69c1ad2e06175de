package dev.sparkspeed.zero.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Compiles every kernel with NVRTC, which needs libnvrtc but no GPU. Skipped where the CUDA 13
 * libraries are not on the loader path (set LD_LIBRARY_PATH to the folders of libnvrtc.so.13,
 * libcudart.so.13 and the driver's libcuda.so.1 to run it).
 */
class KernelCompileTest {

  private static final String UNAVAILABLE = nvrtcUnavailable();

  private static String nvrtcUnavailable() {
    try {
      CudaLibraries.fromEnvironment().prepareLoader();
      return Nvrtc.version() > 0 ? null : "NVRTC reported no version";
    } catch (Throwable t) {
      // A missing libnvrtc or libcuda surfaces as a linkage Error: this test then does not apply.
      return "NVRTC not loadable here: " + t;
    }
  }

  @BeforeEach
  void requireNvrtc() {
    Assumptions.assumeTrue(UNAVAILABLE == null, String.valueOf(UNAVAILABLE));
  }

  @Test
  void everyKernelCompilesToPtxAndIsExported() {
    CompileTarget target = new CompileTarget("compute_80", false);
    String ptx =
        new String(
            Nvrtc.compile(KernelSources.unit(), "kernels.cu", target.options(), false),
            StandardCharsets.US_ASCII);
    for (String name : CudaKernels.NAMES) {
      assertTrue(ptx.contains(".entry " + name + "("), "PTX lacks kernel " + name);
    }
  }

  @Test
  void compilesToCubinForHopper() {
    CompileTarget target = CompileTarget.choose(90, Nvrtc.supportedArchitectures());
    byte[] cubin = Nvrtc.compile(KernelSources.unit(), "kernels.cu", target.options(), true);
    // A CUBIN is an ELF file.
    assertTrue(cubin.length > 4 && cubin[0] == 0x7f && cubin[1] == 'E' && cubin[2] == 'L');
  }
}
