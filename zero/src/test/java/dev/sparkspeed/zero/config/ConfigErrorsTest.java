package dev.sparkspeed.zero.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** One test per kind of mistake a user can make, checking the key and the message. */
class ConfigErrorsTest {

  private static final String BATCH = "\"train_micro_batch_size_per_gpu\": 2, ";

  private static DeepSpeedConfig parse(String body) {
    return DeepSpeedConfig.parse("{" + BATCH + body + "}", AutoValues.world(1));
  }

  private static ConfigException error(String body) {
    return assertThrows(ConfigException.class, () -> parse(body));
  }

  @Test
  void unknownTopLevelKeySuggestsNearest() {
    ConfigException e = error("\"gradient_clippin\": 1.0");
    assertEquals(
        "unknown key \"gradient_clippin\" — did you mean \"gradient_clipping\"?", e.getMessage());
    assertEquals("gradient_clippin", e.key());
  }

  @Test
  void unknownNestedKeyNamesFullPath() {
    ConfigException e = error("\"zero_optimization\": {\"stagee\": 2}");
    assertEquals(
        "unknown key \"zero_optimization.stagee\" — did you mean \"stage\"?", e.getMessage());
  }

  @Test
  void unknownKeyTwoLevelsDown() {
    ConfigException e =
        error(
            "\"zero_optimization\": {\"stage\": 2, \"offload_optimizer\": {\"pin_memroy\": true}}");
    assertEquals(
        "unknown key \"zero_optimization.offload_optimizer.pin_memroy\" — did you mean"
            + " \"pin_memory\"?",
        e.getMessage());
    ConfigException p =
        error("\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"betass\": [0.9, 0.99]}}");
    assertEquals(
        "unknown key \"optimizer.params.betass\" — did you mean \"betas\"?", p.getMessage());
  }

  @Test
  void typoIsReportedBeforeRulesItsAbsenceWouldTrip() {
    // Without the typo check first, this would complain that offload_param needs stage 3.
    ConfigException e =
        error("\"zero_optimization\": {\"satge\": 3, \"offload_param\": {\"device\": \"cpu\"}}");
    assertEquals("zero_optimization.satge", e.key());
  }

  @Test
  void farOffKeyListsValidKeys() {
    ConfigException e = error("\"aio\": {\"xyz\": 1}");
    assertEquals(
        "unknown key \"aio.xyz\" — valid keys here: block_size, queue_depth, thread_count,"
            + " single_submit, overlap_events",
        e.getMessage());
  }

  @Test
  void sparkspeedKeyAtTopLevelPointsToItsBlock() {
    ConfigException e = error("\"device\": \"cpu\"");
    assertEquals(
        "unknown key \"device\" — \"device\" is a SparkSpeed setting and belongs in the"
            + " \"sparkspeed\" block",
        e.getMessage());
    assertEquals(
        SparkSpeedConfig.Device.CPU,
        parse("\"sparkspeed\": {\"device\": \"cpu\"}").sparkspeed().device());
  }

  @Test
  void deepSpeedKeyThisEngineLacksIsNamedAsSuch() {
    ConfigException e = error("\"activation_checkpointing\": {}");
    assertEquals(
        "\"activation_checkpointing\" is a DeepSpeed setting this engine does not implement;"
            + " remove it",
        e.getMessage());
    ConfigException z = error("\"zero_optimization\": {\"cpu_offload\": true}");
    assertEquals("zero_optimization.cpu_offload", z.key());
    assertTrue(z.getMessage().contains("deprecated"), z.getMessage());
  }

  @Test
  void wrongTypeNamesKeyExpectedAndSeen() {
    assertEquals(
        "\"zero_optimization.stage\" must be an integer, got string \"2\"",
        error("\"zero_optimization\": {\"stage\": \"2\"}").getMessage());
    assertEquals(
        "\"fp16.enabled\" must be a boolean, got number 1",
        error("\"fp16\": {\"enabled\": 1}").getMessage());
    assertEquals(
        "\"optimizer.params.lr\" must be a finite number, got string \"fast\"",
        error("\"optimizer\": {\"type\": \"Adam\", \"params\": {\"lr\": \"fast\"}}").getMessage());
    assertEquals(
        "\"zero_optimization\" must be an object, got boolean true",
        error("\"zero_optimization\": true").getMessage());
    assertEquals(
        "\"optimizer.params.betas\" must be an array of two numbers, got array [0.9]",
        error("\"optimizer\": {\"type\": \"Adam\", \"params\": {\"betas\": [0.9]}}").getMessage());
    assertEquals(
        "\"train_micro_batch_size_per_gpu\" must be an integer, got number 2.5",
        assertThrows(
                ConfigException.class,
                () ->
                    DeepSpeedConfig.parse(
                        "{\"train_micro_batch_size_per_gpu\": 2.5}", AutoValues.world(1)))
            .getMessage());
  }

  @Test
  void outOfRangeNamesKeyAndBounds() {
    assertEquals(
        "\"optimizer.params.lr\" must be at least 0.0, got -0.1",
        error("\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": -0.1}}").getMessage());
    assertEquals(
        "\"scheduler.params.cos_min_ratio\" must be in [0.0, 1.0], got 1.5",
        error(
                "\"scheduler\": {\"type\": \"WarmupCosineLR\","
                    + " \"params\": {\"total_num_steps\": 10, \"cos_min_ratio\": 1.5}}")
            .getMessage());
  }

  @Test
  void integralFloatsCountAsIntegers() {
    assertEquals(
        200_000_000L,
        parse("\"zero_optimization\": {\"stage\": 1, \"reduce_bucket_size\": 2e8}")
            .zero()
            .reduceBucketSize());
  }

  @Test
  void badEnumValueSuggestsNearest() {
    ConfigException e =
        error("\"zero_optimization\": {\"stage\": 3, \"offload_param\": {\"device\": \"cpuu\"}}");
    assertEquals(
        "\"zero_optimization.offload_param.device\" is \"cpuu\" — did you mean \"cpu\"? Valid"
            + " values: none, cpu, nvme",
        e.getMessage());
  }

  @Test
  void optimizerTypeCaseFollowsDeepSpeed() {
    assertEquals(
        OptimizerConfig.Type.ADAMW,
        parse("\"optimizer\": {\"type\": \"adamw\"}").optimizer().type());
    assertEquals(
        OptimizerConfig.Type.ADAM, parse("\"optimizer\": {\"type\": \"ADAM\"}").optimizer().type());
    // DeepSpeed finds SGD in torch.optim by its exact class name.
    ConfigException e = error("\"optimizer\": {\"type\": \"sgd\"}");
    assertTrue(e.getMessage().contains("did you mean \"SGD\""), e.getMessage());
    assertTrue(
        error("\"optimizer\": {\"type\": \"Lamb\"}").getMessage().contains("does not implement"));
  }

  @Test
  void parametersOfTheOtherOptimizerAreRejected() {
    assertEquals(
        "\"optimizer.params.betas\" is an Adam parameter; SGD takes lr, momentum, dampening,"
            + " weight_decay, nesterov",
        error("\"optimizer\": {\"type\": \"SGD\", \"params\": {\"betas\": [0.9, 0.9]}}")
            .getMessage());
    assertEquals(
        "optimizer.params.momentum",
        error("\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"momentum\": 0.9}}").key());
    assertTrue(
        error("\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"max_grad_norm\": 1.0}}")
            .getMessage()
            .contains("gradient_clipping"));
  }

  @Test
  void schedulerParametersFollowTheType() {
    assertEquals(
        "\"scheduler.params.total_num_steps\" is required by WarmupDecayLR",
        error("\"scheduler\": {\"type\": \"WarmupDecayLR\"}").getMessage());
    assertEquals(
        "scheduler.params.warmup_max_lr",
        error(
                "\"scheduler\": {\"type\": \"WarmupCosineLR\", \"params\": {\"total_num_steps\": 10,"
                    + " \"warmup_max_lr\": 0.1}}")
            .key());
    assertEquals(
        "scheduler.params.total_num_steps",
        error("\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"total_num_steps\": 10}}")
            .key());
    assertEquals(
        "\"scheduler.params.warmup_type\" is \"cosine\"; valid values: log, linear",
        error("\"scheduler\": {\"type\": \"WarmupLR\", \"params\": {\"warmup_type\": \"cosine\"}}")
            .getMessage());
    assertTrue(
        error("\"scheduler\": {\"type\": \"warmuplr\"}").getMessage().contains("\"WarmupLR\"?"));
  }

  @Test
  void stageOutsideZeroToThree() {
    assertEquals(
        "\"zero_optimization.stage\" must be 0, 1, 2 or 3, got 4",
        error("\"zero_optimization\": {\"stage\": 4}").getMessage());
    assertEquals("zero_optimization.stage", error("\"zero_optimization\": {\"stage\": -1}").key());
  }

  @Test
  void parameterOffloadNeedsStage3() {
    ConfigException e =
        error("\"zero_optimization\": {\"stage\": 2, \"offload_param\": {\"device\": \"cpu\"}}");
    assertEquals(
        "\"zero_optimization.offload_param.device\" is cpu but parameter offload needs"
            + " zero_optimization.stage 3, got 2",
        e.getMessage());
  }

  @Test
  void optimizerOffloadNeedsZero() {
    assertEquals(
        "zero_optimization.offload_optimizer.device",
        error("\"zero_optimization\": {\"offload_optimizer\": {\"device\": \"cpu\"}}").key());
    assertEquals(
        "zero_optimization.offload_optimizer.ratio",
        error(
                "\"zero_optimization\": {\"stage\": 2, \"offload_optimizer\": {\"device\": \"cpu\","
                    + " \"ratio\": 0.5}}")
            .key());
    assertEquals(
        "zero_optimization.offload_optimizer.nvme_path",
        error(
                "\"zero_optimization\": {\"stage\": 2, \"offload_optimizer\": {\"device\": \"nvme\"}}")
            .key());
  }

  @Test
  void stage3SettingsBelowStage3AreIgnoredWithAWarning() {
    DeepSpeedConfig c =
        parse(
            "\"zero_optimization\": {\"stage\": 2, \"stage3_max_live_parameters\": 1000,"
                + " \"stage3_max_reuse_distance\": 1e9}");
    assertEquals(1, c.warnings().size(), c.warnings().toString());
    assertEquals(
        "zero_optimization.stage3_max_live_parameters has effect only at stage 3; stage is 2, so it"
            + " is ignored (as DeepSpeed does)",
        c.warnings().get(0));
    assertEquals(1000, c.zero().maxLiveParameters());
  }

  @Test
  void fp16AndBf16Together() {
    ConfigException e = error("\"fp16\": {\"enabled\": true}, \"bf16\": {\"enabled\": true}");
    assertEquals(
        "\"fp16.enabled\" and \"bf16.enabled\" are both true; enable at most one", e.getMessage());
    ConfigException old = error("\"fp16\": {\"enabled\": true}, \"bfloat16\": {\"enabled\": true}");
    assertTrue(old.getMessage().contains("\"bfloat16.enabled\""), old.getMessage());
  }

  @Test
  void aliasAndNameTogetherAreAnError() {
    ConfigException e =
        error(
            "\"zero_optimization\": {\"stage\": 3, \"stage3_prefetch_bucket_size\": 10,"
                + " \"prefetch_bucket_size\": 20}");
    assertEquals(
        "\"zero_optimization.stage3_prefetch_bucket_size\" and"
            + " \"zero_optimization.prefetch_bucket_size\" are the same setting; keep one",
        e.getMessage());
  }

  @Test
  void unresolvedAutoNamesKeyAndSource() {
    ConfigException e =
        error("\"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": \"auto\"}}");
    assertEquals(
        "\"optimizer.params.lr\" is \"auto\" but nothing resolves it: give a learning rate"
            + " (AutoValues.learningRate) or write a value",
        e.getMessage());
    assertEquals("optimizer.params.lr", e.key());
    assertEquals(
        "zero_optimization.reduce_bucket_size",
        error("\"zero_optimization\": {\"reduce_bucket_size\": \"auto\"}").key());
  }

  @Test
  void autoWhereNoRuleExists() {
    assertEquals(
        "\"zero_optimization.stage\" does not accept \"auto\"; write a value",
        error("\"zero_optimization\": {\"stage\": \"auto\"}").getMessage());
  }

  @Test
  void duplicateKeysAndBadJsonAreReportedWithLocation() {
    ConfigException dup = error("\"seed\": 1, \"seed\": 2");
    assertTrue(dup.getMessage().contains("Duplicate field 'seed'"), dup.getMessage());
    ConfigException bad =
        assertThrows(
            ConfigException.class,
            () -> DeepSpeedConfig.parse("{\n  \"seed\": 1,\n  oops\n}", AutoValues.world(1)));
    assertTrue(bad.getMessage().startsWith("invalid JSON at line 3"), bad.getMessage());
  }

  @Test
  void checkpointSettingsWithoutDirectory() {
    assertEquals(
        "\"sparkspeed.save_interval\" needs \"sparkspeed.checkpoint_dir\" to be set",
        error("\"sparkspeed\": {\"save_interval\": 100}").getMessage());
  }
}
