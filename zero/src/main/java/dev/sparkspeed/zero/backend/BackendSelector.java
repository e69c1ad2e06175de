package dev.sparkspeed.zero.backend;

import dev.sparkspeed.zero.backend.cuda.CudaBackend;
import dev.sparkspeed.zero.backend.cuda.CudaOptions;
import dev.sparkspeed.zero.backend.cuda.CudaProbe;
import dev.sparkspeed.zero.tensor.DType;
import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
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

  /**
   * Reports why "auto" chose the CPU: to the log, once per process (one executor may run several
   * ranks, and each would otherwise repeat it).
   */
  public static final Consumer<String> LOG_CPU_FALLBACK_ONCE =
      once(reason -> LOG.info("\"device\": \"auto\" uses the CPU: {}", reason));

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

  /**
   * Resolves a device setting for a process that was handed one GPU by index (Spark's task
   * resource, or a {@code --gpu} option): "cuda" and "auto" then mean that GPU rather than GPU 0.
   *
   * @param gpu the GPU handed to this process, or -1 for none (then as {@link #decide(String,
   *     CudaProbe.Result)})
   * @throws IllegalArgumentException as {@link #decide(String, CudaProbe.Result)}, or when the
   *     setting names another GPU ("cuda:N") than the one handed over
   */
  public static Decision decide(String device, int gpu, CudaProbe.Result cuda) {
    if (gpu < 0) {
      return decide(device, cuda);
    }
    String d = device == null ? "" : device.trim().toLowerCase(java.util.Locale.ROOT);
    if (d.startsWith("cuda:") && !d.equals("cuda:" + gpu)) {
      throw new IllegalArgumentException(
          "\"device\": \""
              + device
              + "\" names another GPU than GPU "
              + gpu
              + ", the one this process was given; set \"device\" to \"cuda\" or \"auto\"");
    }
    Decision any = decide(device, cuda);
    if (any.kind() == Kind.CPU) {
      return any;
    }
    if (gpu >= cuda.deviceCount()) {
      throw new IllegalArgumentException(
          "this process was given GPU "
              + gpu
              + " but "
              + cuda.deviceCount()
              + " are visible to it (CUDA_VISIBLE_DEVICES="
              + System.getenv("CUDA_VISIBLE_DEVICES")
              + "); check the GPU discovery script, or set \"device\" to \"cpu\"");
    }
    return new Decision(Kind.CUDA, gpu, "");
  }

  /** A sink that passes on only the first message it is given; later ones are dropped. */
  public static Consumer<String> once(Consumer<String> sink) {
    AtomicBoolean said = new AtomicBoolean();
    return message -> {
      if (said.compareAndSet(false, true)) {
        sink.accept(message);
      }
    };
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
      return openCuda(decision, layerGemm);
    }
    if (!decision.fallbackReason().isEmpty()) {
      LOG_CPU_FALLBACK_ONCE.accept(decision.fallbackReason());
    }
    return openCpu();
  }

  /**
   * Opens the CUDA backend a decision names, for training in a given precision (see {@link
   * #open(String, DType)}).
   *
   * @throws IllegalArgumentException when the decision is not for CUDA
   */
  public static CudaBackend openCuda(Decision decision, DType layerGemm) {
    if (decision.kind() != Kind.CUDA) {
      throw new IllegalArgumentException("the decision " + decision + " is not for CUDA");
    }
    return CudaBackend.open(
        CudaOptions.defaults().withDevice(decision.cudaDevice()).withLayerGemm(layerGemm));
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
