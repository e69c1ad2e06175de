package dev.sparkspeed.zero.backend.cuda;

import static org.bytedeco.cuda.global.cudart.*;

import java.util.HexFormat;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUevent_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.CUuuid;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * The CUDA driver API calls the backend makes, each checked. Device memory is addressed by plain
 * {@code long}s ({@code CUdeviceptr}); only this class and its siblings in the package see JavaCPP
 * types.
 */
final class Cuda {
  private Cuda() {}

  /** Initializes the driver and counts devices; never throws for a missing or broken driver. */
  static CudaProbe.Result probeDevices() {
    int rc = cuInit(0);
    if (rc != CUDA_SUCCESS) {
      return CudaProbe.Result.missing(
          "cuInit failed with "
              + errorName(rc)
              + ": the NVIDIA driver is present but unusable (check nvidia-smi and"
              + " CUDA_VISIBLE_DEVICES)");
    }
    int[] count = new int[1];
    rc = cuDeviceGetCount(count);
    if (rc != CUDA_SUCCESS || count[0] == 0) {
      return CudaProbe.Result.missing(
          "no CUDA device visible (CUDA_VISIBLE_DEVICES="
              + System.getenv("CUDA_VISIBLE_DEVICES")
              + (rc != CUDA_SUCCESS ? ", " + errorName(rc) : "")
              + ")");
    }
    return new CudaProbe.Result(true, "", count[0]);
  }

  static void check(int rc, String call) {
    if (rc != CUDA_SUCCESS) {
      throw new CudaException(call + " failed: " + errorName(rc) + " (" + rc + ")");
    }
  }

  static String errorName(int rc) {
    BytePointer name = new BytePointer();
    if (cuGetErrorName(rc, name) != CUDA_SUCCESS || name.isNull()) {
      return "CUresult " + rc;
    }
    return name.getString();
  }

  static int device(int ordinal) {
    check(cuInit(0), "cuInit");
    int[] count = new int[1];
    check(cuDeviceGetCount(count), "cuDeviceGetCount");
    if (ordinal < 0 || ordinal >= count[0]) {
      throw new CudaException(
          "CUDA device " + ordinal + " does not exist: " + count[0] + " visible");
    }
    int[] dev = new int[1];
    check(cuDeviceGet(dev, ordinal), "cuDeviceGet");
    return dev[0];
  }

  static int attribute(int device, int attribute) {
    int[] v = new int[1];
    check(cuDeviceGetAttribute(v, attribute, device), "cuDeviceGetAttribute");
    return v[0];
  }

  /** Compute capability as major·10 + minor (90 for an H100). */
  static int computeCapability(int device) {
    return attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR) * 10
        + attribute(device, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR);
  }

  static int multiprocessors(int device) {
    return attribute(device, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT);
  }

  static String name(int device) {
    byte[] buf = new byte[256];
    check(cuDeviceGetName(buf, buf.length, device), "cuDeviceGetName");
    int n = 0;
    while (n < buf.length && buf[n] != 0) {
      n++;
    }
    return new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /** The device UUID in nvidia-smi's form, "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
  static String uuid(int device) {
    CUuuid u = new CUuuid();
    try {
      check(cuDeviceGetUuid(u, device), "cuDeviceGetUuid");
      byte[] b = new byte[16];
      u.bytes().get(b);
      return formatUuid(b);
    } finally {
      u.close();
    }
  }

  static String formatUuid(byte[] b) {
    String h = HexFormat.of().formatHex(b);
    return "GPU-"
        + h.substring(0, 8)
        + "-"
        + h.substring(8, 12)
        + "-"
        + h.substring(12, 16)
        + "-"
        + h.substring(16, 20)
        + "-"
        + h.substring(20);
  }

  static CUctx_st retainPrimaryContext(int device) {
    CUctx_st ctx = new CUctx_st();
    check(cuDevicePrimaryCtxRetain(ctx, device), "cuDevicePrimaryCtxRetain");
    return ctx;
  }

  static void setCurrent(CUctx_st ctx) {
    check(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
  }

  static void releasePrimaryContext(int device) {
    check(cuDevicePrimaryCtxRelease(device), "cuDevicePrimaryCtxRelease");
  }

  /** A device block, or 0 when the device is out of memory. */
  static long malloc(long bytes) {
    long[] p = new long[1];
    int rc = cuMemAlloc(p, bytes);
    if (rc == CUDA_ERROR_OUT_OF_MEMORY) {
      return 0;
    }
    check(rc, "cuMemAlloc(" + bytes + " bytes)");
    return p[0];
  }

  static void free(long address) {
    check(cuMemFree(address), "cuMemFree");
  }

  /** Page-locked host memory, so copies run at full bus speed and asynchronously. */
  static Pointer mallocPinned(long bytes) {
    PointerPointer<Pointer> pp = new PointerPointer<>(1);
    try {
      check(cuMemHostAlloc(pp, bytes, CU_MEMHOSTALLOC_PORTABLE), "cuMemHostAlloc(" + bytes + ")");
      return pp.get(0).capacity(bytes).limit(bytes);
    } finally {
      pp.close();
    }
  }

  static void freePinned(Pointer p) {
    check(cuMemFreeHost(p), "cuMemFreeHost");
  }

  static void copyToDevice(long dst, Pointer src, long bytes, CUstream_st stream) {
    check(cuMemcpyHtoDAsync(dst, src, bytes, stream), "cuMemcpyHtoDAsync");
  }

  static void copyToHost(Pointer dst, long src, long bytes, CUstream_st stream) {
    check(cuMemcpyDtoHAsync(dst, src, bytes, stream), "cuMemcpyDtoHAsync");
  }

  static void copyOnDevice(long dst, long src, long bytes, CUstream_st stream) {
    check(cuMemcpyDtoDAsync(dst, src, bytes, stream), "cuMemcpyDtoDAsync");
  }

  static void zero(long dst, long bytes, CUstream_st stream) {
    check(cuMemsetD8Async(dst, (byte) 0, bytes, stream), "cuMemsetD8Async");
  }

  static CUstream_st createStream() {
    CUstream_st s = new CUstream_st();
    check(cuStreamCreate(s, CU_STREAM_NON_BLOCKING), "cuStreamCreate");
    return s;
  }

  static void synchronize(CUstream_st stream) {
    check(cuStreamSynchronize(stream), "cuStreamSynchronize");
  }

  static void destroyStream(CUstream_st stream) {
    check(cuStreamDestroy(stream), "cuStreamDestroy");
  }

  static CUevent_st createEvent(boolean timing) {
    CUevent_st e = new CUevent_st();
    check(cuEventCreate(e, timing ? CU_EVENT_DEFAULT : CU_EVENT_DISABLE_TIMING), "cuEventCreate");
    return e;
  }

  static void record(CUevent_st event, CUstream_st stream) {
    check(cuEventRecord(event, stream), "cuEventRecord");
  }

  /** True when the work before the event has finished; false while it is still queued. */
  static boolean isDone(CUevent_st event) {
    int rc = cuEventQuery(event);
    if (rc == CUDA_ERROR_NOT_READY) {
      return false;
    }
    check(rc, "cuEventQuery");
    return true;
  }

  static void waitFor(CUevent_st event) {
    check(cuEventSynchronize(event), "cuEventSynchronize");
  }

  static float elapsedMillis(CUevent_st start, CUevent_st end) {
    float[] ms = new float[1];
    check(cuEventElapsedTime(ms, start, end), "cuEventElapsedTime");
    return ms[0];
  }

  static void destroyEvent(CUevent_st event) {
    check(cuEventDestroy(event), "cuEventDestroy");
  }

  /** Loads a CUBIN (or NUL-terminated PTX) image. */
  static CUmod_st loadModule(byte[] image) {
    CUmod_st module = new CUmod_st();
    try (BytePointer data = new BytePointer(image.length + 1)) {
      data.put(image).put(image.length, (byte) 0);
      check(cuModuleLoadData(module, data), "cuModuleLoadData");
    }
    return module;
  }

  static CUfunc_st function(CUmod_st module, String name) {
    CUfunc_st f = new CUfunc_st();
    check(cuModuleGetFunction(f, module, name), "cuModuleGetFunction(" + name + ")");
    return f;
  }

  static void unload(CUmod_st module) {
    check(cuModuleUnload(module), "cuModuleUnload");
  }

  static void launch(
      CUfunc_st f,
      String name,
      long gridX,
      int gridY,
      int blockX,
      int sharedBytes,
      CUstream_st stream,
      PointerPointer<?> params) {
    if (gridX <= 0 || gridX > Integer.MAX_VALUE || gridY <= 0 || gridY > 65535) {
      throw new CudaException("kernel " + name + ": grid " + gridX + "×" + gridY + " out of range");
    }
    check(
        cuLaunchKernel(
            f,
            (int) gridX,
            gridY,
            1,
            blockX,
            1,
            1,
            sharedBytes,
            stream,
            params,
            (PointerPointer<?>) null),
        "cuLaunchKernel(" + name + ")");
  }

  /** A JavaCPP pointer at a raw device address, for libraries that take typed pointers. */
  static Pointer at(long address) {
    return new DeviceAddress(address);
  }

  static FloatPointer floatsAt(long address) {
    return new FloatPointer(at(address));
  }

  static LongPointer longsAt(long address) {
    return new LongPointer(at(address));
  }

  /** A pointer that owns nothing: it only carries a device address into JavaCPP calls. */
  private static final class DeviceAddress extends Pointer {
    DeviceAddress(long address) {
      this.address = address;
    }
  }
}
