package dev.sparkspeed.trainer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.config.AutoValues;
import dev.sparkspeed.zero.config.ConfigException;
import dev.sparkspeed.zero.config.DeepSpeedConfig;
import dev.sparkspeed.zero.engine.SettingsFromConfig;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The DeepSpeed config as it travels: the driver reads the file once and ships its text, and every
 * rank resolves the same text against the same {@link AutoValues}, so all ranks run one config.
 */
public final class DeepSpeedText {
  /** The config used when none is given: DeepSpeed's defaults with 4 samples per rank. */
  public static final String DEFAULT = "{\"train_micro_batch_size_per_gpu\": 4}";

  /** The optimizer of a config without an "optimizer" block: AdamW, lr 1e-3, no decay. */
  public static final OptimizerSpec DEFAULT_OPTIMIZER = OptimizerSpec.adamW(1e-3, 0.0);

  private static final ObjectMapper JSON = new ObjectMapper();

  private DeepSpeedText() {}

  /**
   * The config text with {@code sparkspeed.device} set to {@code device} (a command line's {@code
   * --device}, which wins over the file); the value is checked when the config is parsed.
   *
   * @throws ConfigException when the text is not a JSON object
   */
  public static String withDevice(String json, String device) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ConfigException(
          "", "the DeepSpeed config is not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (!(root instanceof ObjectNode o)) {
      throw new ConfigException("", "the DeepSpeed config must be a JSON object");
    }
    JsonNode block = o.get("sparkspeed");
    ObjectNode s = block instanceof ObjectNode b ? b : o.putObject("sparkspeed");
    s.put("device", device);
    return o.toString();
  }

  /** JSON text from a path or from text that already is JSON; null gives {@link #DEFAULT}. */
  public static String read(String pathOrJson) {
    if (pathOrJson == null) {
      return DEFAULT;
    }
    String s = pathOrJson.trim();
    if (s.startsWith("{")) {
      return s;
    }
    Path p = Path.of(s);
    try {
      return Files.readString(p);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the DeepSpeed config " + p + " (--deepspeed): " + e.getMessage(), e);
    }
  }

  /**
   * Resolves {@code json} for a run.
   *
   * @param maxSteps planned optimizer steps, for "auto" total_num_steps; 0 when unknown
   * @throws ConfigException naming the key at fault and the world size
   */
  public static DeepSpeedConfig parse(String json, int world, ModelSpec model, long maxSteps) {
    AutoValues auto = AutoValues.world(world).withHiddenSize(model.hiddenSize());
    if (maxSteps > 0) {
      auto = auto.withTotalSteps(maxSteps);
    }
    try {
      return DeepSpeedConfig.parse(json, auto);
    } catch (ConfigException e) {
      throw new ConfigException(
          e.key(), "DeepSpeed config for world size " + world + ": " + e.getMessage(), e);
    }
  }

  /** The engine settings of a resolved config. */
  public static TrainSettings settings(DeepSpeedConfig c) {
    return SettingsFromConfig.of(c, DEFAULT_OPTIMIZER);
  }
}
