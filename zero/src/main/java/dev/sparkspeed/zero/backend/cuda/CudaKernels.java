package dev.sparkspeed.zero.backend.cuda;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUmod_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compiled kernel module of one device and the launches into it. The sources are compiled with
 * NVRTC at first use for the device's architecture and cached on disk ({@link KernelCache}), so
 * later processes on the same machine load the CUBIN directly.
 */
final class CudaKernels implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CudaKernels.class);

  /** Every kernel the module must define; checked at load so a renamed kernel fails early. */
  static final List<String> NAMES =
      List.of(
          "fill_kernel",
          "fill_i32_kernel",
          "scale_kernel",
          "axpy_kernel",
          "cast_kernel",
          "sum_squares_kernel",
          "non_finite_kernel",
          "residual_forward_kernel",
          "residual_backward_kernel",
          "activation_forward_kernel",
          "activation_backward_kernel",
          "add_bias_kernel",
          "column_sum_kernel",
          "mse_forward_kernel",
          "mse_backward_kernel",
          "encoder_forward_kernel",
          "encoder_backward_wpe_kernel",
          "encoder_backward_wte_kernel",
          "layernorm_forward_kernel",
          "layernorm_backward_input_kernel",
          "layernorm_backward_params_kernel",
          "causal_softmax_forward_kernel",
          "causal_softmax_backward_kernel",
          "crossentropy_forward_kernel",
          "crossentropy_backward_kernel",
          "adamw_kernel",
          "cast_f32_to_half4_kernel",
          "add_bias4_kernel",
          "causal_softmax_forward16_kernel",
          "causal_softmax_backward16_kernel",
          "crossentropy_forward4_kernel",
          "crossentropy_backward4_kernel",
          "flash_attention_forward_kernel",
          "flash_attention_delta_kernel",
          "flash_attention_backward_kernel");

  /** Threads per block for every kernel (a multiple of 32: the reductions assume whole warps). */
  static final int BLOCK = 256;

  /** Rows handled per block by the one-warp-per-row kernels. */
  static final int ROWS_PER_BLOCK = BLOCK / 32;

  private final CUmod_st module;
  private final Map<String, CUfunc_st> functions = new HashMap<>();
  private final CUstream_st stream;
  private final KernelArgs args = new KernelArgs();
  private final KernelTimer timer;
  private final long maxElementwiseBlocks;

  private CudaKernels(CUmod_st module, CUstream_st stream, int multiprocessors) {
    this.module = module;
    this.stream = stream;
    this.timer = new KernelTimer(stream);
    // Enough blocks to fill every SM several times over; grid-stride loops cover the rest.
    this.maxElementwiseBlocks = (long) multiprocessors * 32;
    for (String name : NAMES) {
      functions.put(name, Cuda.function(module, name));
    }
  }

  /** Compiles (or loads from the cache) and loads the module for a device. */
  static CudaKernels load(
      int computeCapability, int multiprocessors, CUstream_st stream, KernelCache cache) {
    CompileTarget target = CompileTarget.choose(computeCapability, Nvrtc.supportedArchitectures());
    String source = KernelSources.unit();
    String key = KernelCache.key(source, target.options(), Nvrtc.version());
    byte[] image = cache.load(key, target.arch()).orElse(null);
    if (image == null) {
      long start = System.nanoTime();
      image = Nvrtc.compile(source, "sparkspeed_kernels.cu", target.options(), target.cubin());
      LOG.info(
          "compiled CUDA kernels for {} in {} ms; caching in {}",
          target.arch(),
          (System.nanoTime() - start) / 1_000_000,
          cache.dir());
      try {
        cache.store(key, target.arch(), image);
      } catch (RuntimeException e) {
        LOG.warn("kernel cache not written: {}", e.getMessage());
      }
    }
    return new CudaKernels(Cuda.loadModule(image), stream, multiprocessors);
  }

  /** The argument block, emptied; fill it and pass it to a launch. */
  KernelArgs args() {
    return args.clear();
  }

  /** Blocks for a grid-stride loop over n elements. */
  long elementwiseBlocks(long n) {
    return Launch.gridStrideBlocks(n, BLOCK, maxElementwiseBlocks);
  }

  /** Launches over n elements with a grid-stride loop; nothing when n is 0. */
  void elementwise(String name, long n, KernelArgs a) {
    if (n > 0) {
      launch(name, elementwiseBlocks(n), 1, BLOCK, a);
    }
  }

  /** True when every address is a multiple of {@code bytes} (the wide kernels' requirement). */
  static boolean aligned(int bytes, long... addresses) {
    for (long a : addresses) {
      if (a % bytes != 0) {
        return false;
      }
    }
    return true;
  }

  /** Launches one warp per row; nothing when rows is 0. */
  void perRowWarp(String name, long rows, KernelArgs a) {
    if (rows > 0) {
      launch(name, Launch.ceilDiv(rows, ROWS_PER_BLOCK), 1, BLOCK, a);
    }
  }

  void launch(String name, long gridX, int gridY, int block, KernelArgs a) {
    CUfunc_st f = functions.get(name);
    if (f == null) {
      throw new IllegalArgumentException("no kernel named " + name);
    }
    timer.begin(name);
    Cuda.launch(f, name, gridX, gridY, block, 0, stream, a.pointers());
    timer.end();
  }

  /** Device time per launch label (kernels here, GEMMs in {@link CudaGemm}); off by default. */
  KernelTimer timer() {
    return timer;
  }

  @Override
  public void close() {
    timer.close();
    args.close();
    Cuda.unload(module);
  }
}
