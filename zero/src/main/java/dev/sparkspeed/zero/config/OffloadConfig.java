package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code zero_optimization.offload_optimizer} or {@code zero_optimization.offload_param}: where
 * ZeRO keeps optimizer states or parameters when they leave the accelerator. The two blocks share
 * this record; each accepts only its own keys, and fields of the other kind keep DeepSpeed's
 * default.
 *
 * @param device where the states live ({@link Device#NONE} keeps them on the accelerator)
 * @param nvmePath directory for swap files; required when {@code device} is NVME, else null
 * @param pinMemory page-locked host buffers, for faster transfers at the cost of host memory
 * @param bufferCount swap buffers in the pool (optimizer: 4, one per Adam state; param: 5)
 * @param bufferSize param only: elements per parameter swap buffer
 * @param maxInCpu param only: parameter elements kept in host memory when swapping to NVMe
 * @param fastInit optimizer only: skip writing initial optimizer state to NVMe
 * @param ratio optimizer only: fraction of optimizer states offloaded (below 1 needs stage 3)
 * @param pipelineRead optimizer only: read the next NVMe tile while stepping the current one
 * @param pipelineWrite optimizer only: write the previous NVMe tile while stepping the current one
 */
public record OffloadConfig(
    Device device,
    String nvmePath,
    boolean pinMemory,
    int bufferCount,
    long bufferSize,
    long maxInCpu,
    boolean fastInit,
    double ratio,
    boolean pipelineRead,
    boolean pipelineWrite) {

  /** Offload targets, by DeepSpeed's lower-case names. */
  public enum Device {
    NONE,
    CPU,
    NVME;

    /** The name the config uses. */
    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  static final int OPTIMIZER_BUFFER_COUNT = 4;
  static final int PARAM_BUFFER_COUNT = 5;
  static final long PARAM_BUFFER_SIZE = 100_000_000L;
  static final long PARAM_MAX_IN_CPU = 1_000_000_000L;

  /** Whether anything moves off the accelerator. */
  public boolean enabled() {
    return device != Device.NONE;
  }

  /** DeepSpeed's {@code DeepSpeedZeroOffloadOptimizerConfig} defaults. */
  public static OffloadConfig optimizerDefaults() {
    return new OffloadConfig(
        Device.NONE,
        null,
        false,
        OPTIMIZER_BUFFER_COUNT,
        PARAM_BUFFER_SIZE,
        PARAM_MAX_IN_CPU,
        false,
        1.0,
        false,
        false);
  }

  /** DeepSpeed's {@code DeepSpeedZeroOffloadParamConfig} defaults. */
  public static OffloadConfig paramDefaults() {
    return new OffloadConfig(
        Device.NONE,
        null,
        false,
        PARAM_BUFFER_COUNT,
        PARAM_BUFFER_SIZE,
        PARAM_MAX_IN_CPU,
        false,
        1.0,
        false,
        false);
  }

  static OffloadConfig read(JsonBlock b, boolean optimizer) {
    b.expect(
        "device",
        "nvme_path",
        "pin_memory",
        "buffer_count",
        "buffer_size",
        "max_in_cpu",
        "fast_init",
        "ratio",
        "pipeline_read",
        "pipeline_write");
    b.unsupported(
        "is a DeepSpeed setting this engine does not implement; remove it",
        "super_offload",
        "convert_grad_on_cpu",
        "cpuadam_cores_perc");
    b.rejectUnknown();
    OffloadConfig d = optimizer ? optimizerDefaults() : paramDefaults();
    Map<String, Device> names = new LinkedHashMap<>();
    for (Device v : Device.values()) {
      names.put(v.jsonName(), v);
    }
    Device device = b.choice("device", d.device, names, false);
    String nvmePath = b.string("nvme_path", null);
    boolean pin = b.bool("pin_memory", d.pinMemory);
    int buffers = b.smallInteger("buffer_count", d.bufferCount, 0);
    if (device == Device.NVME && nvmePath == null) {
      throw new ConfigException(
          b.pathOf("nvme_path"),
          "\"" + b.pathOf("nvme_path") + "\" is required when " + b.pathOf("device") + " is nvme");
    }
    if (optimizer) {
      String why = "is an offload_param setting; offload_optimizer does not take it";
      b.forbid("buffer_size", why);
      b.forbid("max_in_cpu", why);
      return new OffloadConfig(
          device,
          nvmePath,
          pin,
          buffers,
          d.bufferSize,
          d.maxInCpu,
          b.bool("fast_init", d.fastInit),
          b.number("ratio", d.ratio, 0, 1),
          b.bool("pipeline_read", false),
          b.bool("pipeline_write", false));
    }
    String why = "is an offload_optimizer setting; offload_param does not take it";
    for (String k : new String[] {"fast_init", "ratio", "pipeline_read", "pipeline_write"}) {
      b.forbid(k, why);
    }
    return new OffloadConfig(
        device,
        nvmePath,
        pin,
        buffers,
        b.integer("buffer_size", d.bufferSize, 0),
        b.integer("max_in_cpu", d.maxInCpu, 0),
        d.fastInit,
        d.ratio,
        false,
        false);
  }

  void write(ObjectNode out, boolean optimizer) {
    out.put("device", device.jsonName());
    if (nvmePath == null) {
      out.putNull("nvme_path");
    } else {
      out.put("nvme_path", nvmePath);
    }
    out.put("pin_memory", pinMemory);
    out.put("buffer_count", bufferCount);
    if (optimizer) {
      out.put("fast_init", fastInit);
      out.put("ratio", ratio);
      out.put("pipeline_read", pipelineRead);
      out.put("pipeline_write", pipelineWrite);
    } else {
      out.put("buffer_size", bufferSize);
      out.put("max_in_cpu", maxInCpu);
    }
  }
}
