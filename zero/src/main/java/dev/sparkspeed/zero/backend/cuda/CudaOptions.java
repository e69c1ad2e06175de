package dev.sparkspeed.zero.backend.cuda;

import static dev.sparkspeed.zero.tensor.DType.FP32;

import dev.sparkspeed.zero.tensor.DType;

/**
 * Settings of one {@link CudaBackend}.
 *
 * @param device CUDA device ordinal (after CUDA_VISIBLE_DEVICES)
 * @param allowTf32 let FP32 GEMMs use TF32 tensor cores (about 10 bits of mantissa in products)
 * @param stagingBytes size of each of the two pinned staging buffers, bytes
 * @param layerGemm operand type of the linear and attention GEMMs: FP32, or BF16/FP16 to round
 *     operands per call and run on tensor cores (the mixed-precision training path)
 */
public record CudaOptions(int device, boolean allowTf32, long stagingBytes, DType layerGemm) {
  public CudaOptions {
    if (layerGemm == DType.INT32 || layerGemm == null) {
      throw new IllegalArgumentException(
          "layer GEMM type " + layerGemm + " must be FP32, BF16 or FP16");
    }
  }

  /** Device 0, exact FP32 GEMMs, 8 MiB staging buffers. */
  public static CudaOptions defaults() {
    return new CudaOptions(0, false, 8L << 20, FP32);
  }

  public CudaOptions withDevice(int d) {
    return new CudaOptions(d, allowTf32, stagingBytes, layerGemm);
  }

  public CudaOptions withTf32(boolean allow) {
    return new CudaOptions(device, allow, stagingBytes, layerGemm);
  }

  public CudaOptions withStaging(long bytes) {
    return new CudaOptions(device, allowTf32, bytes, layerGemm);
  }

  /** The same options with the layer GEMMs in {@code type} (FP32, BF16 or FP16). */
  public CudaOptions withLayerGemm(DType type) {
    return new CudaOptions(device, allowTf32, stagingBytes, type);
  }
}
