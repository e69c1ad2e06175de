package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code "sparkspeed"} block: settings DeepSpeed has no key for, kept in one extension block so
 * that every other key means exactly what it means to DeepSpeed. DeepSpeed itself would reject this
 * block, so strip it before handing the file to DeepSpeed.
 *
 * <pre>
 * "sparkspeed": {
 *   "device": "auto",            // "cpu", "cuda", or "auto" = cuda when the executor has a GPU
 *   "checkpoint_dir": null,      // file://, hdfs:// or s3a:// URI; null = no checkpoints
 *   "save_interval": 0,          // optimizer steps between checkpoints; 0 = only at the end
 *   "keep_last": 0,              // committed checkpoints to keep; 0 = keep all
 *   "async_save": false          // write checkpoints on a background thread
 * }
 * </pre>
 *
 * @param device where ranks compute
 * @param checkpointDir checkpoint root URI, null when the run saves none
 * @param saveInterval optimizer steps between checkpoints, 0 for only the final one
 * @param keepLast committed checkpoints kept after each save, 0 for all
 * @param asyncSave overlap checkpoint writes with the next steps
 */
public record SparkSpeedConfig(
    Device device, String checkpointDir, long saveInterval, int keepLast, boolean asyncSave) {

  /** Where ranks compute. */
  public enum Device {
    /** CUDA when the Spark task was given a GPU, otherwise CPU. */
    AUTO,
    CPU,
    CUDA
  }

  static final String BLOCK = "sparkspeed";

  /** Keys of this block; at the top level they get a "belongs in sparkspeed" hint. */
  static final List<String> KEYS =
      List.of("device", "checkpoint_dir", "save_interval", "keep_last", "async_save");

  /** No checkpoints, device chosen per executor. */
  public static SparkSpeedConfig defaults() {
    return new SparkSpeedConfig(Device.AUTO, null, 0, 0, false);
  }

  static SparkSpeedConfig read(JsonBlock b) {
    b.expect(KEYS.toArray(String[]::new));
    b.rejectUnknown();
    Map<String, Device> devices = new LinkedHashMap<>();
    devices.put("cpu", Device.CPU);
    devices.put("cuda", Device.CUDA);
    devices.put("auto", Device.AUTO);
    SparkSpeedConfig out =
        new SparkSpeedConfig(
            b.choice("device", Device.AUTO, devices, false),
            b.string("checkpoint_dir", null),
            b.integer("save_interval", 0, 0),
            b.smallInteger("keep_last", 0, 0),
            b.bool("async_save", false));
    if (out.checkpointDir == null) {
      for (String k : new String[] {"save_interval", "keep_last", "async_save"}) {
        if (b.has(k) && !isOff(out, k)) {
          throw new ConfigException(
              b.pathOf(k),
              "\"" + b.pathOf(k) + "\" needs \"" + b.pathOf("checkpoint_dir") + "\" to be set");
        }
      }
    }
    return out;
  }

  private static boolean isOff(SparkSpeedConfig c, String key) {
    return switch (key) {
      case "save_interval" -> c.saveInterval == 0;
      case "keep_last" -> c.keepLast == 0;
      default -> !c.asyncSave;
    };
  }

  void write(ObjectNode out) {
    out.put("device", device.name().toLowerCase(java.util.Locale.ROOT));
    if (checkpointDir == null) {
      out.putNull("checkpoint_dir");
    } else {
      out.put("checkpoint_dir", checkpointDir);
    }
    out.put("save_interval", saveInterval);
    out.put("keep_last", keepLast);
    out.put("async_save", asyncSave);
  }
}
