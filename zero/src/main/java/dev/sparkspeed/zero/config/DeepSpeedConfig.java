package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A DeepSpeed JSON config, resolved and validated: the same keys, defaults and batch-size rule as
 * DeepSpeed, Hugging Face-style {@code "auto"} values filled from {@link AutoValues}, plus the
 * {@code "sparkspeed"} extension block ({@link SparkSpeedConfig}). Any key no reader knows is an
 * error naming its full path and the nearest valid key; so is a value of the wrong type.
 *
 * @param batch the three batch sizes, consistent with the world size
 * @param optimizer the {@code "optimizer"} block, null when absent (the caller supplies one)
 * @param scheduler the {@code "scheduler"} block, null for a constant learning rate
 * @param gradientClipping global gradient-norm clip; 0 disables clipping (DeepSpeed's default)
 * @param zero the {@code "zero_optimization"} block
 * @param aio NVMe swap I/O settings
 * @param fp16 half-precision compute and loss scaling
 * @param bf16 bfloat16 compute
 * @param stepsPerPrint optimizer steps between progress lines; 0 never, which is DeepSpeed's
 *     default (written as null)
 * @param wallClockBreakdown time forward, backward and step separately and report them
 * @param seed seed for parameter initialisation and data shuffling (not a DeepSpeed key; 42 as in
 *     Hugging Face's Trainer)
 * @param checkpoint DeepSpeed's checkpoint options
 * @param sparkspeed this engine's own settings
 * @param warnings settings accepted but ignored or deprecated, already logged; not part of {@link
 *     #equals}
 */
public record DeepSpeedConfig(
    BatchConfig batch,
    OptimizerConfig optimizer,
    SchedulerConfig scheduler,
    double gradientClipping,
    ZeroConfig zero,
    AioConfig aio,
    Fp16Config fp16,
    Bf16Config bf16,
    int stepsPerPrint,
    boolean wallClockBreakdown,
    long seed,
    CheckpointConfig checkpoint,
    SparkSpeedConfig sparkspeed,
    List<String> warnings) {

  private static final Logger LOG = LoggerFactory.getLogger(DeepSpeedConfig.class);

  static final long DEFAULT_SEED = 42;

  private static final ObjectMapper MAPPER =
      JsonMapper.builder()
          // DeepSpeed reads files with hjson, which allows comments and trailing commas.
          .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS)
          .enable(JsonReadFeature.ALLOW_YAML_COMMENTS)
          .enable(JsonReadFeature.ALLOW_TRAILING_COMMA)
          // DeepSpeed rejects duplicate keys rather than letting the last one win.
          .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .build();

  public DeepSpeedConfig {
    warnings = List.copyOf(warnings);
  }

  /**
   * Parses and validates a config.
   *
   * @param json the config text (comments and trailing commas allowed, as DeepSpeed's hjson does)
   * @param auto what {@code "auto"} values resolve to, and the world size
   * @throws ConfigException naming the key path at fault
   */
  public static DeepSpeedConfig parse(String json, AutoValues auto) {
    JsonNode tree;
    try {
      tree = MAPPER.readTree(json);
    } catch (JacksonException e) {
      JsonLocation at = e.getLocation();
      String where =
          at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
      throw new ConfigException("", "invalid JSON" + where + ": " + e.getOriginalMessage(), e);
    }
    if (tree == null || tree.isMissingNode()) {
      throw new ConfigException("", "the config is empty; write at least {}");
    }
    return read(tree, auto);
  }

  /**
   * Reads and validates a config file; errors are prefixed with the file name.
   *
   * @throws ConfigException when the file cannot be read or the config is invalid
   */
  public static DeepSpeedConfig load(Path file, AutoValues auto) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new ConfigException("", "cannot read DeepSpeed config " + file + ": " + e, e);
    }
    try {
      return parse(text, auto);
    } catch (ConfigException e) {
      throw new ConfigException(e.key(), file + ": " + e.getMessage(), e);
    }
  }

  /**
   * DeepSpeed's defaults everywhere, with the micro batch and accumulation steps from {@code auto}
   * (1 where not given): no optimizer or scheduler block, ZeRO stage 0, fp32.
   */
  public static DeepSpeedConfig defaults(AutoValues auto) {
    ObjectNode doc = MAPPER.createObjectNode();
    doc.put(BatchConfig.MICRO, auto.microBatch() == null ? 1 : auto.microBatch());
    doc.put(
        BatchConfig.ACCUM,
        auto.gradientAccumulationSteps() == null ? 1 : auto.gradientAccumulationSteps());
    return read(doc, auto);
  }

  /**
   * Equal when every setting is equal. Warnings describe how the source text was written (a
   * deprecated alias, say), not what it resolved to, so they take no part.
   */
  @Override
  public boolean equals(Object o) {
    return o instanceof DeepSpeedConfig c && settings().equals(c.settings());
  }

  @Override
  public int hashCode() {
    return settings().hashCode();
  }

  private List<Object> settings() {
    return Arrays.asList(
        batch,
        optimizer,
        scheduler,
        gradientClipping,
        zero,
        aio,
        fp16,
        bf16,
        stepsPerPrint,
        wallClockBreakdown,
        seed,
        checkpoint,
        sparkspeed);
  }

  /** The compute dtype the fp16 and bf16 blocks select: FP16, BF16 or FP32. */
  public DType mixedPrecision() {
    return fp16.enabled() ? DType.FP16 : bf16.enabled() ? DType.BF16 : DType.FP32;
  }

  /**
   * The resolved config as DeepSpeed JSON, every setting spelled out (no {@code "auto"}), for the
   * start-of-run log and checkpoint manifests. {@link #parse} of it with the same world size gives
   * back an equal config.
   */
  public String toJson() {
    ObjectNode out = MAPPER.createObjectNode();
    batch.write(out);
    if (optimizer != null) {
      optimizer.write(out.putObject("optimizer"));
    }
    if (scheduler != null) {
      scheduler.write(out.putObject("scheduler"));
    }
    out.put("gradient_clipping", gradientClipping);
    zero.write(out.putObject("zero_optimization"));
    aio.write(out.putObject("aio"));
    fp16.write(out.putObject("fp16"));
    bf16.write(out.putObject("bf16"));
    if (stepsPerPrint == 0) {
      out.putNull("steps_per_print");
    } else {
      out.put("steps_per_print", stepsPerPrint);
    }
    out.put("wall_clock_breakdown", wallClockBreakdown);
    out.put("seed", seed);
    checkpoint.write(out.putObject("checkpoint"));
    sparkspeed.write(out.putObject(SparkSpeedConfig.BLOCK));
    try {
      return MAPPER.writeValueAsString(out);
    } catch (JacksonException e) {
      throw new IllegalStateException("cannot serialise a tree of plain values", e);
    }
  }

  private static DeepSpeedConfig read(JsonNode tree, AutoValues auto) {
    List<String> warnings = new ArrayList<>();
    JsonBlock root = JsonBlock.root(tree, warnings);
    root.expect(
        BatchConfig.TRAIN,
        BatchConfig.MICRO,
        BatchConfig.ACCUM,
        "optimizer",
        "scheduler",
        "gradient_clipping",
        "zero_optimization",
        "aio",
        "fp16",
        "bf16",
        "bfloat16",
        "steps_per_print",
        "wall_clock_breakdown",
        "seed",
        "checkpoint",
        SparkSpeedConfig.BLOCK);
    rejectUnsupported(root);
    root.rejectUnknown();
    double clip =
        root.number(
            "gradient_clipping",
            0,
            0,
            Double.MAX_VALUE,
            auto.gradientClipping(),
            "a clipping norm (AutoValues.gradientClipping)");

    JsonBlock optimizerBlock = root.block("optimizer");
    OptimizerConfig optimizer =
        optimizerBlock.isPresent() ? OptimizerConfig.read(optimizerBlock, auto) : null;
    JsonBlock schedulerBlock = root.block("scheduler");
    double peakLr = optimizer == null ? OptimizerConfig.DEFAULT_LR : optimizer.lr();
    SchedulerConfig scheduler =
        schedulerBlock.isPresent() ? SchedulerConfig.read(schedulerBlock, auto, peakLr) : null;

    ZeroConfig zero = ZeroConfig.read(root.block("zero_optimization"), auto);
    AioConfig aio = AioConfig.read(root.block("aio"));
    Fp16Config fp16 = Fp16Config.read(root.block("fp16"), auto);
    String bf16Key = root.alias("bf16", "bfloat16");
    Bf16Config bf16 = Bf16Config.read(root.block(bf16Key), auto);
    if (fp16.enabled() && bf16.enabled()) {
      throw new ConfigException(
          "fp16.enabled",
          "\"fp16.enabled\" and \"" + bf16Key + ".enabled\" are both true; enable at most one");
    }
    Long steps = root.optionalInteger("steps_per_print", 1, null, null);
    if (steps != null && steps > Integer.MAX_VALUE) {
      throw new ConfigException("steps_per_print", "\"steps_per_print\" is too large: " + steps);
    }
    boolean wallClock = root.bool("wall_clock_breakdown", false);
    long seed = root.integer("seed", DEFAULT_SEED, 0);
    CheckpointConfig checkpoint = CheckpointConfig.read(root.block("checkpoint"));
    SparkSpeedConfig sparkspeed = SparkSpeedConfig.read(root.block(SparkSpeedConfig.BLOCK));
    // Batch arithmetic last, so that a misspelt or mistyped key elsewhere is reported first.
    BatchConfig batch = readBatch(root, auto);
    for (String w : warnings) {
      LOG.warn("DeepSpeed config: {}", w);
    }
    return new DeepSpeedConfig(
        batch,
        optimizer,
        scheduler,
        clip,
        zero,
        aio,
        fp16,
        bf16,
        steps == null ? 0 : steps.intValue(),
        wallClock,
        seed,
        checkpoint,
        sparkspeed,
        warnings);
  }

  private static BatchConfig readBatch(JsonBlock root, AutoValues auto) {
    Long micro =
        root.optionalInteger(
            BatchConfig.MICRO,
            1,
            AutoValues.boxLong(auto.microBatch()),
            "a micro batch size (AutoValues.microBatch)");
    Long accum =
        root.optionalInteger(
            BatchConfig.ACCUM,
            1,
            AutoValues.boxLong(auto.gradientAccumulationSteps()),
            "accumulation steps (AutoValues.gradientAccumulationSteps)");
    // Hugging Face's rule: an "auto" train batch is whatever the other two give on this world.
    Long trainAuto = micro == null ? null : micro * (accum == null ? 1 : accum) * auto.worldSize();
    Long train =
        root.optionalInteger(
            BatchConfig.TRAIN,
            1,
            trainAuto,
            "\"" + BatchConfig.MICRO + "\" (auto = micro batch × accumulation steps × world size)");
    return BatchConfig.resolve(train, micro, accum, auto.worldSize());
  }

  private static void rejectUnsupported(JsonBlock root) {
    root.unsupported(
        "is a DeepSpeed setting this engine does not implement; remove it",
        "amp",
        "torch_autocast",
        "activation_checkpointing",
        "flops_profiler",
        "tensorboard",
        "wandb",
        "csv_monitor",
        "comet",
        "comms_logger",
        "sparse_attention",
        "elasticity",
        "autotuning",
        "compression_training",
        "data_efficiency",
        "curriculum_learning",
        "pipeline",
        "communication_data_type",
        "prescale_gradients",
        "gradient_predivide_factor",
        "sparse_gradients",
        "zero_allow_untested_optimizer",
        "zero_force_ds_cpu_optimizer",
        "memory_breakdown",
        "dump_state",
        "dataloader_drop_last",
        "data_types",
        "compile",
        "hybrid_engine",
        "nebula",
        "vocabulary_size",
        "disable_allgather",
        "tensor_parallel",
        "graph_harvesting",
        "quantize_training",
        "progressive_layer_drop",
        "eigenvalue",
        "weight_quantization",
        "timers",
        "expert_parallel",
        "seq_parallel_communication_data_type");
  }
}
