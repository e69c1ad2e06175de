package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code "checkpoint"} block, with DeepSpeed's defaults. Where checkpoints go and how often is
 * SparkSpeed's own business and lives in {@link SparkSpeedConfig}.
 *
 * @param tagValidation what to do when ranks disagree on a checkpoint tag
 * @param loadUniversal load a universal (world-size independent) checkpoint
 * @param useNodeLocalStorage each node writes its own shards to local storage
 * @param parallelWritePipelineStage {@code parallel_write.pipeline_stage}: pipeline stages write in
 *     parallel
 */
public record CheckpointConfig(
    TagValidation tagValidation,
    boolean loadUniversal,
    boolean useNodeLocalStorage,
    boolean parallelWritePipelineStage) {

  /** DeepSpeed's validation modes; the config may use any case. */
  public enum TagValidation {
    IGNORE,
    WARN,
    FAIL
  }

  /** DeepSpeed's defaults, used when the block is absent. */
  public static CheckpointConfig defaults() {
    return new CheckpointConfig(TagValidation.WARN, false, false, false);
  }

  static CheckpointConfig read(JsonBlock b) {
    b.expect("tag_validation", "load_universal", "use_node_local_storage", "parallel_write");
    b.rejectUnknown();
    Map<String, TagValidation> modes = new LinkedHashMap<>();
    modes.put("Ignore", TagValidation.IGNORE);
    modes.put("Warn", TagValidation.WARN);
    modes.put("Fail", TagValidation.FAIL);
    TagValidation tag = b.choice("tag_validation", TagValidation.WARN, modes, true);
    boolean universal = b.bool("load_universal", false);
    boolean local = b.bool("use_node_local_storage", false);
    JsonBlock parallel = b.block("parallel_write");
    parallel.expect("pipeline_stage");
    parallel.rejectUnknown();
    boolean pipeline = parallel.bool("pipeline_stage", false);
    return new CheckpointConfig(tag, universal, local, pipeline);
  }

  void write(ObjectNode out) {
    String tag = tagValidation.name();
    out.put("tag_validation", tag.charAt(0) + tag.substring(1).toLowerCase(java.util.Locale.ROOT));
    out.put("load_universal", loadUniversal);
    out.put("use_node_local_storage", useNodeLocalStorage);
    out.putObject("parallel_write").put("pipeline_stage", parallelWritePipelineStage);
  }
}
