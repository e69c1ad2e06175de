package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code "zero_optimization"} block, with the defaults of DeepSpeed's {@code
 * DeepSpeedZeroConfig}. Sizes are in elements, not bytes. DeepSpeed also accepts each {@code
 * stage3_*} key without its prefix (the pydantic field name); so does this reader.
 *
 * @param stage 0 plain data parallel, 1 shards optimizer states, 2 also gradients, 3 also params
 * @param contiguousGradients copy gradients into one buffer as they arrive, against fragmentation
 * @param overlapComm overlap gradient reduction with the backward pass (default: true at stage 3)
 * @param reduceScatter average gradients with reduce-scatter instead of all-reduce
 * @param reduceBucketSize elements reduced at a time, bounding the reduction buffer
 * @param allgatherPartitions gather updated shards with all-gather instead of broadcasts
 * @param allgatherBucketSize elements gathered at a time, bounding the gather buffer
 * @param prefetchBucketSize stage 3: parameter elements fetched ahead of their use
 * @param paramPersistenceThreshold stage 3: parameters smaller than this stay unpartitioned
 * @param maxLiveParameters stage 3: gathered parameter elements kept before releasing
 * @param maxReuseDistance stage 3: keep a parameter gathered if it is reused within this many
 * @param gather16bitWeightsOnModelSave stage 3: gather full 16-bit weights when saving the model
 * @param subGroupSize parameter elements the optimizer steps as one tile (offload, ZeRO-Infinity)
 * @param roundRobinGradients stages 1–2 with offload: spread gradient copies to host over ranks
 * @param offloadOptimizer where optimizer states live (stages 1–3)
 * @param offloadParam where parameters live (stage 3 only)
 */
public record ZeroConfig(
    int stage,
    boolean contiguousGradients,
    boolean overlapComm,
    boolean reduceScatter,
    long reduceBucketSize,
    boolean allgatherPartitions,
    long allgatherBucketSize,
    long prefetchBucketSize,
    long paramPersistenceThreshold,
    long maxLiveParameters,
    long maxReuseDistance,
    boolean gather16bitWeightsOnModelSave,
    long subGroupSize,
    boolean roundRobinGradients,
    OffloadConfig offloadOptimizer,
    OffloadConfig offloadParam) {

  static final long DEFAULT_BUCKET = 500_000_000L;
  static final long DEFAULT_PREFETCH = 50_000_000L;
  static final long DEFAULT_PERSISTENCE = 100_000L;
  static final long DEFAULT_MAX_LIVE = 1_000_000_000L;
  static final long DEFAULT_REUSE = 1_000_000_000L;
  static final long DEFAULT_SUB_GROUP = 1_000_000_000L;

  private static final String HIDDEN = "the model's hidden size (AutoValues.hiddenSize)";
  private static final String[] STAGE3_FIELDS = {
    "prefetch_bucket_size",
    "param_persistence_threshold",
    "max_live_parameters",
    "max_reuse_distance"
  };
  private static final String GATHER = "stage3_gather_16bit_weights_on_model_save";
  private static final String GATHER_FP16 = "stage3_gather_fp16_weights_on_model_save";

  /** Whether any ZeRO partitioning is on (stage 1 or more). */
  public boolean enabled() {
    return stage > 0;
  }

  static ZeroConfig read(JsonBlock b, AutoValues auto) {
    b.expect(
        "stage",
        "contiguous_gradients",
        "overlap_comm",
        "reduce_scatter",
        "reduce_bucket_size",
        "allgather_partitions",
        "allgather_bucket_size",
        "sub_group_size",
        "round_robin_gradients",
        "offload_optimizer",
        "offload_param",
        GATHER,
        "gather_16bit_weights_on_model_save",
        GATHER_FP16);
    for (String field : STAGE3_FIELDS) {
      b.expect("stage3_" + field, field);
    }
    b.unsupported(
        "is deprecated in DeepSpeed; use \"offload_optimizer\" or \"offload_param\" with a device",
        "cpu_offload",
        "cpu_offload_param",
        "cpu_offload_use_pin_memory");
    b.unsupported(
        "is a DeepSpeed setting this engine does not implement; remove it",
        "load_from_fp32_weights",
        "elastic_checkpoint",
        "ignore_unused_parameters",
        "legacy_stage1",
        "zero_hpz_partition_size",
        "zero_quantized_weights",
        "zero_quantized_nontrainable_weights",
        "zero_quantized_gradients",
        "zeropp_loco_param",
        "mics_shard_size",
        "mics_hierarchical_params_gather",
        "memory_efficient_linear",
        "pipeline_loading_checkpoint",
        "override_module_apply",
        "log_trace_cache_warnings",
        "enable_sanity_checks",
        "use_multi_rank_bucket_allreduce",
        "zenflow",
        "leaf_module",
        "stage3_model_persistence_threshold",
        "stage3_module_granularity_threshold",
        "stage3_use_all_reduce_for_fetch_params",
        "stage3_allgather_sequential");
    b.rejectUnknown();
    int stage = b.smallInteger("stage", 0, 0);
    if (stage > 3) {
      throw new ConfigException(
          b.pathOf("stage"), "\"" + b.pathOf("stage") + "\" must be 0, 1, 2 or 3, got " + stage);
    }
    boolean contiguous = b.bool("contiguous_gradients", true);
    boolean overlap = b.bool("overlap_comm", stage == 3);
    boolean reduceScatter = b.bool("reduce_scatter", true);
    long reduceBucket =
        b.integer("reduce_bucket_size", DEFAULT_BUCKET, 0, auto.reduceBucketSize(), HIDDEN);
    boolean allgatherPartitions = b.bool("allgather_partitions", true);
    long allgatherBucket = b.integer("allgather_bucket_size", DEFAULT_BUCKET, 0);
    long prefetch =
        stage3Long(
            b, "prefetch_bucket_size", DEFAULT_PREFETCH, auto.prefetchBucketSize(), HIDDEN, stage);
    long persistence =
        stage3Long(
            b,
            "param_persistence_threshold",
            DEFAULT_PERSISTENCE,
            auto.paramPersistenceThreshold(),
            HIDDEN,
            stage);
    long maxLive = stage3Long(b, "max_live_parameters", DEFAULT_MAX_LIVE, null, null, stage);
    long reuse = stage3Long(b, "max_reuse_distance", DEFAULT_REUSE, null, null, stage);
    boolean gather = readGather(b, stage);
    long subGroup = b.integer("sub_group_size", DEFAULT_SUB_GROUP, 0);
    boolean roundRobin = b.bool("round_robin_gradients", false);
    if (roundRobin && stage != 1 && stage != 2) {
      b.warn(
          b.pathOf("round_robin_gradients")
              + " has effect only at stages 1 and 2; stage is "
              + stage);
    }
    OffloadConfig offloadOptimizer = OffloadConfig.read(b.block("offload_optimizer"), true);
    OffloadConfig offloadParam = OffloadConfig.read(b.block("offload_param"), false);
    checkOffload(b, stage, offloadOptimizer, offloadParam);
    return new ZeroConfig(
        stage,
        contiguous,
        overlap,
        reduceScatter,
        reduceBucket,
        allgatherPartitions,
        allgatherBucket,
        prefetch,
        persistence,
        maxLive,
        reuse,
        gather,
        subGroup,
        roundRobin,
        offloadOptimizer,
        offloadParam);
  }

  /**
   * A stage-3 setting under its documented {@code stage3_} name or DeepSpeed's field name. Set to a
   * non-default value below stage 3 it does nothing, as in DeepSpeed, so it earns a warning.
   */
  private static long stage3Long(
      JsonBlock b, String field, long fallback, Long auto, String autoSource, int stage) {
    String key = b.alias("stage3_" + field, field);
    long v = b.integer(key, fallback, 0, auto, autoSource);
    if (stage < 3 && v != fallback) {
      ignoredBelowStage3(b, key, stage);
    }
    return v;
  }

  private static boolean readGather(JsonBlock b, int stage) {
    String key = b.alias(GATHER, "gather_16bit_weights_on_model_save");
    if (b.has(GATHER_FP16)) {
      if (b.has(key)) {
        throw new ConfigException(
            b.pathOf(GATHER_FP16),
            "\""
                + b.pathOf(GATHER_FP16)
                + "\" is the old name of \""
                + b.pathOf(key)
                + "\"; keep only the new one");
      }
      b.warn(b.pathOf(GATHER_FP16) + " is deprecated in DeepSpeed; call it " + GATHER);
      key = GATHER_FP16;
    }
    boolean v = b.bool(key, false);
    if (stage < 3 && v) {
      ignoredBelowStage3(b, key, stage);
    }
    return v;
  }

  private static void ignoredBelowStage3(JsonBlock b, String key, int stage) {
    b.warn(
        b.pathOf(key)
            + " has effect only at stage 3; stage is "
            + stage
            + ", so it is ignored (as DeepSpeed does)");
  }

  private static void checkOffload(
      JsonBlock b, int stage, OffloadConfig optimizer, OffloadConfig param) {
    String stagePath = b.pathOf("stage");
    if (param.enabled() && stage < 3) {
      String device = b.pathOf("offload_param.device");
      throw new ConfigException(
          device,
          "\""
              + device
              + "\" is "
              + param.device().jsonName()
              + " but parameter offload needs "
              + stagePath
              + " 3, got "
              + stage);
    }
    if (optimizer.enabled() && stage == 0) {
      String device = b.pathOf("offload_optimizer.device");
      throw new ConfigException(
          device,
          "\""
              + device
              + "\" is "
              + optimizer.device().jsonName()
              + " but optimizer offload needs "
              + stagePath
              + " 1, 2 or 3, got 0");
    }
    if (optimizer.ratio() < 1.0 && stage != 3) {
      String ratio = b.pathOf("offload_optimizer.ratio");
      throw new ConfigException(
          ratio,
          "\""
              + ratio
              + "\" "
              + optimizer.ratio()
              + " (partial offload) needs "
              + stagePath
              + " 3, got "
              + stage);
    }
  }

  void write(ObjectNode out) {
    out.put("stage", stage);
    out.put("contiguous_gradients", contiguousGradients);
    out.put("overlap_comm", overlapComm);
    out.put("reduce_scatter", reduceScatter);
    out.put("reduce_bucket_size", reduceBucketSize);
    out.put("allgather_partitions", allgatherPartitions);
    out.put("allgather_bucket_size", allgatherBucketSize);
    out.put("stage3_prefetch_bucket_size", prefetchBucketSize);
    out.put("stage3_param_persistence_threshold", paramPersistenceThreshold);
    out.put("stage3_max_live_parameters", maxLiveParameters);
    out.put("stage3_max_reuse_distance", maxReuseDistance);
    out.put(GATHER, gather16bitWeightsOnModelSave);
    out.put("sub_group_size", subGroupSize);
    out.put("round_robin_gradients", roundRobinGradients);
    offloadOptimizer.write(out.putObject("offload_optimizer"), true);
    offloadParam.write(out.putObject("offload_param"), false);
  }
}
