package dev.sparkspeed.zero.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.DType;
import org.junit.jupiter.api.Test;

/** Hugging Face-style "auto" values, resolved from {@link AutoValues}. */
class AutoValuesTest {

  /** Hugging Face's ZeRO-3 template, every value it leaves to the trainer set to "auto". */
  private static final String HF_ZERO3 =
      """
      {
        "train_batch_size": "auto",
        "train_micro_batch_size_per_gpu": "auto",
        "gradient_accumulation_steps": "auto",
        "gradient_clipping": "auto",
        "optimizer": {"type": "AdamW",
                      "params": {"lr": "auto", "betas": [0.9, 0.999], "eps": 1e-8,
                                 "weight_decay": "auto"}},
        "scheduler": {"type": "WarmupDecayLR",
                      "params": {"warmup_min_lr": "auto", "warmup_max_lr": "auto",
                                 "warmup_num_steps": "auto", "total_num_steps": "auto"}},
        "fp16": {"enabled": "auto"},
        "bf16": {"enabled": "auto"},
        "zero_optimization": {
          "stage": 3,
          "reduce_bucket_size": "auto",
          "stage3_prefetch_bucket_size": "auto",
          "stage3_param_persistence_threshold": "auto"
        }
      }
      """;

  private static AutoValues everything() {
    return AutoValues.world(4)
        .withMicroBatch(8)
        .withGradientAccumulationSteps(2)
        .withLearningRate(3e-4)
        .withWeightDecay(0.1)
        .withGradientClipping(1.0)
        .withWarmupSteps(100)
        .withTotalSteps(10_000)
        .withHiddenSize(768)
        .withPrecision(DType.BF16);
  }

  @Test
  void resolvesEveryAutoKeyTheWayHuggingFaceDoes() {
    DeepSpeedConfig c = DeepSpeedConfig.parse(HF_ZERO3, everything());
    assertEquals(new BatchConfig(64, 8, 2, 4), c.batch(), "train batch = 8 × 2 × world 4");
    assertEquals(1.0, c.gradientClipping());
    assertEquals(3e-4, c.optimizer().lr());
    assertEquals(0.1, c.optimizer().weightDecay());
    assertEquals(0.0, c.scheduler().warmupMinLr());
    assertEquals(3e-4, c.scheduler().warmupMaxLr());
    assertEquals(100, c.scheduler().warmupNumSteps());
    assertEquals(10_000, c.scheduler().totalNumSteps());
    assertFalse(c.fp16().enabled());
    assertTrue(c.bf16().enabled());
    assertEquals(DType.BF16, c.mixedPrecision());
    assertEquals(768L * 768, c.zero().reduceBucketSize());
    assertEquals(530_841L, c.zero().prefetchBucketSize(), "⌊0.9 × 768²⌋");
    assertEquals(7_680L, c.zero().paramPersistenceThreshold());
  }

  @Test
  void resolvedConfigHasNoAutoLeft() {
    // "sparkspeed.device": "auto" is a device choice, not a Hugging Face placeholder.
    String json =
        DeepSpeedConfig.parse(HF_ZERO3, everything()).toJson().replace("\"device\" : \"auto\"", "");
    assertFalse(json.contains("\"auto\""), json);
  }

  @Test
  void eachMissingSourceIsNamed() {
    AutoValues all = everything();
    AutoValues[] missing = {
      new AutoValues(4, null, 2, 3e-4, 0.1, 1.0, 100, 10_000L, 768, DType.BF16),
      new AutoValues(4, 8, null, 3e-4, 0.1, 1.0, 100, 10_000L, 768, DType.BF16),
      new AutoValues(4, 8, 2, null, 0.1, 1.0, 100, 10_000L, 768, DType.BF16),
      new AutoValues(4, 8, 2, 3e-4, null, 1.0, 100, 10_000L, 768, DType.BF16),
      new AutoValues(4, 8, 2, 3e-4, 0.1, null, 100, 10_000L, 768, DType.BF16),
      new AutoValues(4, 8, 2, 3e-4, 0.1, 1.0, null, 10_000L, 768, DType.BF16),
      new AutoValues(4, 8, 2, 3e-4, 0.1, 1.0, 100, null, 768, DType.BF16),
      new AutoValues(4, 8, 2, 3e-4, 0.1, 1.0, 100, 10_000L, null, DType.BF16),
      new AutoValues(4, 8, 2, 3e-4, 0.1, 1.0, 100, 10_000L, 768, null),
    };
    String[] keys = {
      "train_micro_batch_size_per_gpu",
      "gradient_accumulation_steps",
      "optimizer.params.lr",
      "optimizer.params.weight_decay",
      "gradient_clipping",
      "scheduler.params.warmup_num_steps",
      "scheduler.params.total_num_steps",
      "zero_optimization.reduce_bucket_size",
      "fp16.enabled",
    };
    String[] sources = {
      "AutoValues.microBatch",
      "AutoValues.gradientAccumulationSteps",
      "AutoValues.learningRate",
      "AutoValues.weightDecay",
      "AutoValues.gradientClipping",
      "AutoValues.warmupSteps",
      "AutoValues.totalSteps",
      "AutoValues.hiddenSize",
      "AutoValues.precision",
    };
    DeepSpeedConfig.parse(HF_ZERO3, all);
    for (int i = 0; i < missing.length; i++) {
      AutoValues a = missing[i];
      ConfigException e =
          assertThrows(ConfigException.class, () -> DeepSpeedConfig.parse(HF_ZERO3, a));
      assertEquals(keys[i], e.key(), e.getMessage());
      assertTrue(e.getMessage().contains(sources[i]), e.getMessage());
    }
  }

  @Test
  void autoTrainBatchNeedsAMicroBatch() {
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                DeepSpeedConfig.parse(
                    "{\"train_batch_size\": \"auto\", \"gradient_accumulation_steps\": 2}",
                    AutoValues.world(2)));
    assertEquals("train_batch_size", e.key());
  }

  @Test
  void autoTrainBatchFollowsExplicitMicroAndAccumulation() {
    DeepSpeedConfig c =
        DeepSpeedConfig.parse(
            "{\"train_batch_size\": \"auto\", \"train_micro_batch_size_per_gpu\": 3}",
            AutoValues.world(5));
    assertEquals(new BatchConfig(15, 3, 1, 5), c.batch());
  }

  @Test
  void fp32PrecisionDisablesBoth() {
    DeepSpeedConfig c =
        DeepSpeedConfig.parse(
            "{\"train_micro_batch_size_per_gpu\": 1, \"fp16\": {\"enabled\": \"auto\"},"
                + " \"bf16\": {\"enabled\": \"auto\"}}",
            AutoValues.world(1).withPrecision(DType.FP32));
    assertEquals(DType.FP32, c.mixedPrecision());
  }

  @Test
  void worldSizeMustBePositive() {
    assertThrows(ConfigException.class, () -> AutoValues.world(0));
  }
}
