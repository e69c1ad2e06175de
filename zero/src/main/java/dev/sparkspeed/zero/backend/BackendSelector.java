package dev.sparkspeed.zero.backend;

import dev.sparkspeed.zero.backend.cuda.CudaBackend;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import dev.sparkspeed.zero.tensor.DType;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the config's {@code "device"} setting into a backend: {@code "cpu"}, {@code "cuda"} (or
 * {@code "cuda:N"}), or {@code "auto"} (CUDA when a GPU is usable, else the CPU, said once in the
 * log). Asking for CUDA where it is unusable fails with what is missing.
 */
public final class BackendSelector {
  /** The CPU backend's class; loaded by name so this class does not depend on its internals. */
  static final String CPU_BACKEND = "dev.sparkspeed.zero.backend.cpu.CpuBackend";

  private static final Logger LOG = LoggerFactory.getLogger(BackendSelector.class);
  private static final AtomicBoolean FALLBACK_LOGGED = new AtomicBoolean();

  private BackendSelector() {}

  /** Which backend a device setting resolves to. */
  public enum Kind {
    CPU,
    CUDA
  }

  /**
   * The outcome of resolving a device setting.
   *
   * @param kind the backend to open
   * @param cudaDevice device ordinal when kind is CUDA, else -1
   * @param fallbackReason why "auto" chose the CPU; empty otherwise
   */
  public record Decision(Kind kind, int cudaDevice, String fallbackReason) {}

  /**
   * Resolves a device setting against a probe result, without opening anything.
   *
   * @param device "cpu", "cuda", "cuda:N" or "auto" (case-insensitive)
   * @param cuda what the CUDA probe found
   * @throws IllegalArgumentException for an unknown setting, or "cuda" when CUDA is unusable
   */
  public static Decision decide(String device, CudaProbe.Result cuda) {
    String d = device == null ? "" : device.trim().toLowerCase(java.util.Locale.ROOT);
    if (d.equals("cpu")) {
      return new Decision(Kind.CPU, -1, "");
    }
    if (d.equals("auto")) {
      return cuda.available()
          ? new Decision(Kind.CUDA, 0, "")
          : new Decision(Kind.CPU, -1, cuda.reason());
    }
    if (d.equals("cuda") || d.startsWith("cuda:")) {
      int ordinal = d.equals("cuda") ? 0 : parseOrdinal(device, d.substring(5));
      if (!cuda.available()) {
        throw new IllegalArgumentException(
            "\"device\": \""
                + device
                + "\" needs a usable CUDA GPU, but "
                + cuda.reason()
                + ". Set \"device\": \"cpu\" or \"auto\" to train without one");
      }
      if (ordinal >= cuda.deviceCount()) {
        throw new IllegalArgumentException(
            "\"device\": \""
                + device
                + "\" names GPU "
                + ordinal
                + " but "
                + cuda.deviceCount()
                + " are visible");
      }
      return new Decision(Kind.CUDA, ordinal, "");
    }
    throw new IllegalArgumentException(
        "unknown \"device\": \""
            + device
            + "\"; expected \"cpu\", \"cuda\", \"cuda:N\" or \"auto\"");
  }

  private static int parseOrdinal(String device, String n) {
    try {
      int v = Integer.parseInt(n);
      if (v >= 0) {
        return v;
      }
    } catch (NumberFormatException e) {
      // reported below with the setting's name
    }
    throw new IllegalArgumentException(
        "\"device\": \"" + device + "\": the GPU index after \"cuda:\" must be a number ≥ 0");
  }

  /** Opens the backend a device setting names, probing CUDA when the setting needs it. */
  public static Backend open(String device) {
    return open(device, DType.FP32);
  }

  /**
   * As {@link #open(String)}, for training in a given precision: on CUDA the linear and attention
   * GEMMs then run with operands in {@code layerGemm} (the BF16/FP16 of mixed-precision training)
   * and FP32 accumulation; the CPU backend ignores it (it computes in FP32 on the 16-bit values).
   */
  public static Backend open(String device, DType layerGemm) {
    String d = device == null ? "" : device.trim().toLowerCase(java.util.Locale.ROOT);
    CudaProbe.Result probe =
        d.equals("cpu") ? new CudaProbe.Result(false, "not probed", 0) : CudaProbe.probe();
    Decision decision = decide(device, probe);
    if (decision.kind() == Kind.CUDA) {
      return CudaBackend.open(
          CudaBackend.Options.defaults()
              .withDevice(decision.cudaDevice())
              .withLayerGemm(layerGemm));
    }
    if (!decision.fallbackReason().isEmpty() && FALLBACK_LOGGED.compareAndSet(false, true)) {
      LOG.info("\"device\": \"auto\" uses the CPU: {}", decision.fallbackReason());
    }
    return openCpu();
  }

  /** The CPU backend, looked up by class name. */
  public static Backend openCpu() {
    try {
      return (Backend) Class.forName(CPU_BACKEND).getConstructor().newInstance();
    } catch (ClassNotFoundException | NoSuchMethodException e) {
      throw new IllegalStateException(
          "the CPU backend "
              + CPU_BACKEND
              + " (with a no-argument constructor) is not on the classpath",
          e);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("the CPU backend failed to start", e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("the CPU backend " + CPU_BACKEND + " cannot be created", e);
    }
  }
}
