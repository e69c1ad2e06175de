package dev.sparkspeed.zero.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** toJson → parse gives back the same config; the example configs in conf/ parse. */
class RoundTripTest {

  private static final String RICH =
      """
      {
        // comments and trailing commas are accepted, as DeepSpeed's hjson reader does
        "train_batch_size": 24,
        "gradient_accumulation_steps": 3,
        "gradient_clipping": 0.5,
        "optimizer": {"type": "SGD",
                      "params": {"lr": 0.1, "momentum": 0.9, "nesterov": true,
                                 "weight_decay": 1e-4}},
        "scheduler": {"type": "WarmupCosineLR",
                      "params": {"total_num_steps": 300, "warmup_num_steps": 30,
                                 "warmup_type": "linear", "cos_min_ratio": 0.05,
                                 "warmup_min_ratio": 0.1}},
        "zero_optimization": {
          "stage": 3,
          "overlap_comm": false,
          "prefetch_bucket_size": 1234,
          "stage3_gather_fp16_weights_on_model_save": true,
          "offload_optimizer": {"device": "nvme", "nvme_path": "/local/nvme",
                                "ratio": 0.25, "pipeline_read": true},
          "offload_param": {"device": "cpu", "pin_memory": true, "buffer_size": 1e6},
        },
        "aio": {"block_size": 262144, "queue_depth": 32, "thread_count": 2},
        "fp16": {"enabled": true, "loss_scale": 128, "hysteresis": 4},
        "steps_per_print": 5,
        "wall_clock_breakdown": true,
        "seed": 7,
        "checkpoint": {"tag_validation": "ignore", "parallel_write": {"pipeline_stage": true}},
        "sparkspeed": {"device": "cpu", "checkpoint_dir": "s3a://bucket/run",
                       "save_interval": 50, "keep_last": 2, "async_save": true},
      }
      """;

  private static void assertRoundTrips(DeepSpeedConfig c, AutoValues auto) {
    DeepSpeedConfig again = DeepSpeedConfig.parse(c.toJson(), auto);
    assertEquals(c, again);
    assertEquals(c.toJson(), again.toJson());
  }

  @Test
  void defaultsRoundTrip() {
    AutoValues auto = AutoValues.world(3).withMicroBatch(2);
    assertRoundTrips(DeepSpeedConfig.defaults(auto), auto);
  }

  @Test
  void everySettingRoundTrips() {
    AutoValues auto = AutoValues.world(2);
    DeepSpeedConfig c = DeepSpeedConfig.parse(RICH, auto);
    assertEquals(new BatchConfig(24, 4, 3, 2), c.batch());
    assertEquals(1234, c.zero().prefetchBucketSize());
    assertTrue(c.zero().gather16bitWeightsOnModelSave());
    assertEquals(
        "zero_optimization.stage3_gather_fp16_weights_on_model_save is deprecated in DeepSpeed;"
            + " call it stage3_gather_16bit_weights_on_model_save",
        c.warnings().get(0));
    assertEquals(0.25, c.zero().offloadOptimizer().ratio());
    assertEquals(1_000_000L, c.zero().offloadParam().bufferSize());
    assertEquals(128.0, c.fp16().initialScale());
    assertEquals(DType.FP16, c.mixedPrecision());
    assertEquals(CheckpointConfig.TagValidation.IGNORE, c.checkpoint().tagValidation());
    assertRoundTrips(c, auto);
  }

  @Test
  void warmupLrRoundTripsWithItsImplicitPeak() {
    AutoValues auto = AutoValues.world(1);
    DeepSpeedConfig c =
        DeepSpeedConfig.parse(
            "{\"train_micro_batch_size_per_gpu\": 1, \"optimizer\": {\"type\": \"Adam\","
                + " \"params\": {\"lr\": 0.005, \"adam_w_mode\": false}},"
                + " \"scheduler\": {\"type\": \"WarmupLR\"}}",
            auto);
    assertRoundTrips(c, auto);
  }

  @Test
  void wrongWorldSizeOnReloadIsCaught() {
    DeepSpeedConfig c = DeepSpeedConfig.parse(RICH, AutoValues.world(2));
    ConfigException e =
        assertThrows(
            ConfigException.class, () -> DeepSpeedConfig.parse(c.toJson(), AutoValues.world(4)));
    assertEquals(
        "train_batch_size 24 is not train_micro_batch_size_per_gpu 4 × gradient_accumulation_steps"
            + " 3 × world size 4 = 48",
        e.getMessage());
  }

  @Test
  void exampleConfigsParseAndRoundTrip() {
    Path conf = confDir();
    AutoValues auto = AutoValues.world(2);

    DeepSpeedConfig base = DeepSpeedConfig.load(conf.resolve("ds_config.json"), auto);
    assertEquals(0, base.zero().stage());
    assertEquals(DType.FP32, base.mixedPrecision());
    assertEquals(OptimizerConfig.Type.ADAMW, base.optimizer().type());
    assertEquals(1e-3, base.optimizer().lr());
    assertEquals(SchedulerConfig.Type.WARMUP_LR, base.scheduler().type());

    DeepSpeedConfig zero2 = DeepSpeedConfig.load(conf.resolve("ds_zero2.json"), auto);
    assertEquals(2, zero2.zero().stage());
    assertEquals(new BatchConfig(16, 4, 2, 2), zero2.batch());

    DeepSpeedConfig zero3 = DeepSpeedConfig.load(conf.resolve("ds_zero3_bf16.json"), auto);
    assertEquals(3, zero3.zero().stage());
    assertEquals(DType.BF16, zero3.mixedPrecision());
    assertEquals(OffloadConfig.Device.CPU, zero3.zero().offloadOptimizer().device());

    DeepSpeedConfig fp16 = DeepSpeedConfig.load(conf.resolve("ds_fp16.json"), auto);
    assertEquals(DType.FP16, fp16.mixedPrecision());
    assertTrue(fp16.fp16().dynamicLossScale());

    for (DeepSpeedConfig c : new DeepSpeedConfig[] {base, zero2, zero3, fp16}) {
      assertTrue(c.warnings().isEmpty(), c.warnings().toString());
      assertRoundTrips(c, auto);
    }
  }

  @Test
  void loadPrefixesErrorsWithTheFile() throws Exception {
    Path file = Files.createTempFile("ds_bad", ".json");
    try {
      Files.writeString(file, "{\"train_micro_batch_size_per_gpu\": 1, \"fp17\": {}}");
      ConfigException e =
          assertThrows(
              ConfigException.class, () -> DeepSpeedConfig.load(file, AutoValues.world(1)));
      assertEquals(file + ": unknown key \"fp17\" — did you mean \"fp16\"?", e.getMessage());
      assertEquals("fp17", e.key());
    } finally {
      Files.delete(file);
    }
  }

  /** conf/ at the repository root, found from the module directory Maven runs tests in. */
  private static Path confDir() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("conf/ds_config.json"))) {
        return p.resolve("conf");
      }
    }
    throw new IllegalStateException(
        "conf/ds_config.json not found above " + Path.of("").toAbsolutePath());
  }
}
