package dev.sparkspeed.zero.backend.cuda;

import static org.bytedeco.cuda.global.nvrtc.*;

import java.util.List;
import org.bytedeco.cuda.nvrtc._nvrtcProgram;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;

/** Runtime compilation of the kernel sources with NVRTC. Needs no GPU, only libnvrtc. */
final class Nvrtc {
  private Nvrtc() {}

  /** NVRTC's version as major·1000 + minor·10, as CUDA numbers itself (13.1 → 13010). */
  static int version() {
    int[] major = new int[1];
    int[] minor = new int[1];
    check(nvrtcVersion(major, minor), "nvrtcVersion");
    return major[0] * 1000 + minor[0] * 10;
  }

  /** Real architectures this NVRTC can build for, e.g. [75, 80, 86, 89, 90, ...]. */
  static int[] supportedArchitectures() {
    int[] n = new int[1];
    check(nvrtcGetNumSupportedArchs(n), "nvrtcGetNumSupportedArchs");
    int[] archs = new int[n[0]];
    check(nvrtcGetSupportedArchs(archs), "nvrtcGetSupportedArchs");
    return archs;
  }

  /**
   * Compiles one translation unit.
   *
   * @param source CUDA C source, self-contained (no #include)
   * @param fileName shown in compiler messages
   * @param options NVRTC options, including --gpu-architecture=sm_XX (CUBIN) or compute_XX (PTX)
   * @param cubin true for a CUBIN (a real architecture), false for PTX the driver compiles
   * @return the image, PTX without its terminating NUL
   * @throws CudaException with the compiler log when compilation fails
   */
  static byte[] compile(String source, String fileName, List<String> options, boolean cubin) {
    _nvrtcProgram program = new _nvrtcProgram();
    check(
        nvrtcCreateProgram(
            program,
            new BytePointer(source),
            new BytePointer(fileName),
            0,
            (BytePointer) null,
            (BytePointer) null),
        "nvrtcCreateProgram");
    try {
      PointerPointer<BytePointer> opts = new PointerPointer<>(options.toArray(new String[0]));
      int rc = nvrtcCompileProgram(program, options.size(), opts);
      if (rc != NVRTC_SUCCESS) {
        throw new CudaException(
            "NVRTC could not compile "
                + fileName
                + " with "
                + options
                + ": "
                + nvrtcGetErrorString(rc).getString()
                + "\n"
                + log(program));
      }
      SizeTPointer size = new SizeTPointer(1);
      if (cubin) {
        check(nvrtcGetCUBINSize(program, size), "nvrtcGetCUBINSize");
        byte[] image = new byte[(int) size.get()];
        check(nvrtcGetCUBIN(program, image), "nvrtcGetCUBIN");
        return image;
      }
      check(nvrtcGetPTXSize(program, size), "nvrtcGetPTXSize");
      byte[] ptx = new byte[(int) size.get()];
      check(nvrtcGetPTX(program, ptx), "nvrtcGetPTX");
      return java.util.Arrays.copyOf(ptx, Math.max(0, ptx.length - 1));
    } finally {
      nvrtcDestroyProgram(program);
    }
  }

  private static String log(_nvrtcProgram program) {
    SizeTPointer size = new SizeTPointer(1);
    if (nvrtcGetProgramLogSize(program, size) != NVRTC_SUCCESS || size.get() <= 1) {
      return "(no compiler log)";
    }
    byte[] log = new byte[(int) size.get()];
    nvrtcGetProgramLog(program, log);
    return new String(log, 0, log.length - 1, java.nio.charset.StandardCharsets.UTF_8);
  }

  private static void check(int rc, String call) {
    if (rc != NVRTC_SUCCESS) {
      throw new CudaException(call + " failed: " + nvrtcGetErrorString(rc).getString());
    }
  }
}
