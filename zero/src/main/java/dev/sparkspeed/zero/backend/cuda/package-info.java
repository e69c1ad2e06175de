/**
 * The CUDA backend: the only package that calls {@code org.bytedeco.cuda}. Native calls sit in one
 * package-private class per library: {@code Cuda} (driver API), {@code Nvrtc}, {@code Cublas},
 * {@code Nccl}.
 *
 * <h2>Native libraries</h2>
 *
 * The build ships JavaCPP's CUDA classes and its JNI glue ({@code libjnicudart.so}, {@code
 * libjnicublas.so}, {@code libjninvrtc.so}, {@code libjninccl.so} in the {@code linux-x86_64}
 * classifier jar) but none of CUDA itself. At run time the machine provides:
 *
 * <ul>
 *   <li>the driver's {@code libcuda.so.1} (normally known to the dynamic loader);
 *   <li>CUDA 13's {@code libcudart.so.13}, {@code libcublas.so.13}, {@code libcublasLt.so.13},
 *       {@code libnvrtc.so.13} (+ its builtins) and {@code libnccl.so.2}: from a toolkit, or from
 *       the Python wheels nvidia-cuda-runtime, nvidia-cublas, nvidia-cuda-nvrtc and
 *       nvidia-nccl-cu13 ({@code site-packages/nvidia/cu13/lib}, {@code nvidia/nccl/lib}).
 * </ul>
 *
 * One setting is enough: {@code SPARKSPEED_CUDA_LIB_DIRS} (or {@code -Dsparkspeed.cuda.libDirs})
 * naming those folders, ':'-separated. {@link dev.sparkspeed.zero.backend.cuda.CudaLibraries} then
 * sets JavaCPP's {@code org.bytedeco.javacpp.platform.preloadpath} to them, so JavaCPP loads each
 * CUDA library by path before the JNI glue that needs it, and loads {@code libcuda.so.1} by path
 * when it sits only there (JavaCPP's presets never load the driver themselves). Setting {@code
 * LD_LIBRARY_PATH} to the same folders before the JVM starts works as well. {@code
 * org.bytedeco.javacpp.pathsFirst} is not needed: no jar on the classpath carries CUDA libraries.
 * JavaCPP unpacks the glue into {@code ~/.javacpp/cache} unless {@code
 * -Dorg.bytedeco.javacpp.cachedir} names another writable folder.
 *
 * <p>Kernels are compiled at first use with NVRTC for the device's architecture and cached in
 * {@code ~/.cache/sparkspeed/cuda} ({@code SPARKSPEED_CUDA_CACHE} overrides).
 */
package dev.sparkspeed.zero.backend.cuda;
