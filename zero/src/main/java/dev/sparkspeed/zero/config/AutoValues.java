package dev.sparkspeed.zero.config;

import dev.sparkspeed.zero.tensor.DType;

/**
 * What the launcher knows that a config's {@code "auto"} values stand for, following Hugging Face's
 * DeepSpeed integration. Every field but the world size may be null, meaning "not given": an {@code
 * "auto"} that needs it is then an error naming the key.
 *
 * <p>Keys that accept {@code "auto"} and where their value comes from:
 *
 * <ul>
 *   <li>{@code train_micro_batch_size_per_gpu} ← {@link #microBatch}
 *   <li>{@code gradient_accumulation_steps} ← {@link #gradientAccumulationSteps}
 *   <li>{@code train_batch_size} ← world size × micro batch × accumulation steps, as resolved
 *   <li>{@code gradient_clipping} ← {@link #gradientClipping}
 *   <li>{@code optimizer.params.lr} and {@code scheduler.params.warmup_max_lr} ← {@link
 *       #learningRate}
 *   <li>{@code optimizer.params.weight_decay} ← {@link #weightDecay}
 *   <li>{@code scheduler.params.warmup_min_lr} ← 0
 *   <li>{@code scheduler.params.warmup_num_steps} ← {@link #warmupSteps}
 *   <li>{@code scheduler.params.total_num_steps} ← {@link #totalSteps}
 *   <li>{@code zero_optimization.reduce_bucket_size} ← hidden², {@code stage3_prefetch_bucket_size}
 *       ← ⌊0.9 · hidden²⌋, {@code stage3_param_persistence_threshold} ← 10 · hidden, from {@link
 *       #hiddenSize}
 *   <li>{@code fp16.enabled}, {@code bf16.enabled} ← {@link #precision}
 * </ul>
 *
 * @param worldSize data-parallel ranks; divides {@code train_batch_size} among them
 * @param microBatch samples per rank per forward pass, from the command line
 * @param gradientAccumulationSteps micro batches summed before each optimizer step
 * @param learningRate peak learning rate
 * @param weightDecay optimizer weight decay
 * @param gradientClipping global gradient-norm clip (0 disables it)
 * @param warmupSteps scheduler warm-up length, in optimizer steps
 * @param totalSteps planned optimizer steps for the whole run
 * @param hiddenSize the model's hidden width, which sizes ZeRO-3 buckets
 * @param precision the compute dtype (FP32, BF16 or FP16) that decides {@code fp16/bf16.enabled}
 */
public record AutoValues(
    int worldSize,
    Integer microBatch,
    Integer gradientAccumulationSteps,
    Double learningRate,
    Double weightDecay,
    Double gradientClipping,
    Integer warmupSteps,
    Long totalSteps,
    Integer hiddenSize,
    DType precision) {

  public AutoValues {
    if (worldSize < 1) {
      throw new ConfigException("", "world size must be at least 1, got " + worldSize);
    }
    if (precision == DType.INT32) {
      throw new ConfigException("", "precision must be FP32, BF16 or FP16, got INT32");
    }
  }

  /** Nothing known but the world size: any {@code "auto"} in the config is an error. */
  public static AutoValues world(int worldSize) {
    return new AutoValues(worldSize, null, null, null, null, null, null, null, null, null);
  }

  /** A copy with {@link #microBatch} set. */
  public AutoValues withMicroBatch(int v) {
    return new AutoValues(
        worldSize,
        v,
        gradientAccumulationSteps,
        learningRate,
        weightDecay,
        gradientClipping,
        warmupSteps,
        totalSteps,
        hiddenSize,
        precision);
  }

  /** A copy with {@link #gradientAccumulationSteps} set. */
  public AutoValues withGradientAccumulationSteps(int v) {
    return new AutoValues(
        worldSize,
        microBatch,
        v,
        learningRate,
        weightDecay,
        gradientClipping,
        warmupSteps,
        totalSteps,
        hiddenSize,
        precision);
  }

  /** A copy with {@link #learningRate} set. */
  public AutoValues withLearningRate(double v) {
    return new AutoValues(
        worldSize,
        microBatch,
        gradientAccumulationSteps,
        v,
        weightDecay,
        gradientClipping,
        warmupSteps,
        totalSteps,
        hiddenSize,
        precision);
  }

  /** A copy with {@link #weightDecay} set. */
  public AutoValues withWeightDecay(double v) {
    return new AutoValues(
        worldSize,
        microBatch,
        gradientAccumulationSteps,
        learningRate,
        v,
        gradientClipping,
        warmupSteps,
        totalSteps,
        hiddenSize,
        precision);
  }

  /** A copy with {@link #gradientClipping} set. */
  public AutoValues withGradientClipping(double v) {
    return new AutoValues(
        worldSize,
        microBatch,
        gradientAccumulationSteps,
        learningRate,
        weightDecay,
        v,
        warmupSteps,
        totalSteps,
        hiddenSize,
        precision);
  }

  /** A copy with {@link #warmupSteps} set. */
  public AutoValues withWarmupSteps(int v) {
    return new AutoValues(
        worldSize,
        microBatch,
        gradientAccumulationSteps,
        learningRate,
        weightDecay,
        gradientClipping,
        v,
        totalSteps,
        hiddenSize,
        precision);
  }

  /** A copy with {@link #totalSteps} set. */
  public AutoValues withTotalSteps(long v) {
    return new AutoValues(
        worldSize,
        microBatch,
        gradientAccumulationSteps,
        learningRate,
        weightDecay,
        gradientClipping,
        warmupSteps,
        v,
        hiddenSize,
        precision);
  }

  /** A copy with {@link #hiddenSize} set. */
  public AutoValues withHiddenSize(int v) {
    return new AutoValues(
        worldSize,
        microBatch,
        gradientAccumulationSteps,
        learningRate,
        weightDecay,
        gradientClipping,
        warmupSteps,
        totalSteps,
        v,
        precision);
  }

  /** A copy with {@link #precision} set. */
  public AutoValues withPrecision(DType v) {
    return new AutoValues(
        worldSize,
        microBatch,
        gradientAccumulationSteps,
        learningRate,
        weightDecay,
        gradientClipping,
        warmupSteps,
        totalSteps,
        hiddenSize,
        v);
  }

  /** Hugging Face's ZeRO {@code reduce_bucket_size}: hidden², in elements. */
  Long reduceBucketSize() {
    return hiddenSize == null ? null : (long) hiddenSize * hiddenSize;
  }

  /** Hugging Face's {@code stage3_prefetch_bucket_size}: ⌊0.9 · hidden²⌋, in elements. */
  Long prefetchBucketSize() {
    return hiddenSize == null ? null : (long) Math.floor(0.9 * hiddenSize * hiddenSize);
  }

  /** Hugging Face's {@code stage3_param_persistence_threshold}: 10 · hidden, in elements. */
  Long paramPersistenceThreshold() {
    return hiddenSize == null ? null : 10L * hiddenSize;
  }

  Boolean fp16Enabled() {
    return precision == null ? null : precision == DType.FP16;
  }

  Boolean bf16Enabled() {
    return precision == null ? null : precision == DType.BF16;
  }

  static Long boxLong(Integer v) {
    return v == null ? null : v.longValue();
  }
}
