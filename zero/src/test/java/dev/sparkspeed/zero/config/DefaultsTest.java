package dev.sparkspeed.zero.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparkspeed.zero.tensor.DType;
import org.junit.jupiter.api.Test;

/**
 * Every default against the value in DeepSpeed's sources (runtime/constants.py,
 * runtime/zero/config.py, runtime/zero/offload_config.py, runtime/precision_config.py,
 * runtime/swap_tensor/constants.py, runtime/lr_schedules.py, the engine's optimizer set-up),
 * written out literally here so that a changed constant in main code fails the test.
 */
class DefaultsTest {

  private static DeepSpeedConfig parse(String body) {
    return DeepSpeedConfig.parse(
        "{\"train_micro_batch_size_per_gpu\": 1" + body + "}", AutoValues.world(1));
  }

  @Test
  void topLevel() {
    DeepSpeedConfig c = DeepSpeedConfig.defaults(AutoValues.world(2));
    assertEquals(new BatchConfig(2, 1, 1, 2), c.batch());
    assertNull(c.optimizer());
    assertNull(c.scheduler());
    assertEquals(0.0, c.gradientClipping());
    assertEquals(0, c.stepsPerPrint());
    assertFalse(c.wallClockBreakdown());
    assertEquals(42, c.seed());
    assertEquals(DType.FP32, c.mixedPrecision());
    assertTrue(c.warnings().isEmpty());
    assertEquals(
        DeepSpeedConfig.defaults(AutoValues.world(1)),
        parse(""),
        "defaults() is the config with only a micro batch");
  }

  @Test
  void zeroOptimization() {
    ZeroConfig z = parse("").zero();
    assertEquals(0, z.stage());
    assertFalse(z.enabled());
    assertTrue(z.contiguousGradients());
    assertFalse(z.overlapComm(), "overlap_comm defaults to false below stage 3");
    assertTrue(z.reduceScatter());
    assertEquals(500_000_000L, z.reduceBucketSize());
    assertTrue(z.allgatherPartitions());
    assertEquals(500_000_000L, z.allgatherBucketSize());
    assertEquals(50_000_000L, z.prefetchBucketSize());
    assertEquals(100_000L, z.paramPersistenceThreshold());
    assertEquals(1_000_000_000L, z.maxLiveParameters());
    assertEquals(1_000_000_000L, z.maxReuseDistance());
    assertFalse(z.gather16bitWeightsOnModelSave());
    assertEquals(1_000_000_000L, z.subGroupSize());
    assertFalse(z.roundRobinGradients());
    assertTrue(parse(", \"zero_optimization\": {\"stage\": 3}").zero().overlapComm());
  }

  @Test
  void offload() {
    ZeroConfig z = parse("").zero();
    OffloadConfig o = z.offloadOptimizer();
    assertEquals(OffloadConfig.Device.NONE, o.device());
    assertFalse(o.enabled());
    assertNull(o.nvmePath());
    assertFalse(o.pinMemory());
    assertEquals(4, o.bufferCount());
    assertFalse(o.fastInit());
    assertEquals(1.0, o.ratio());
    assertFalse(o.pipelineRead());
    assertFalse(o.pipelineWrite());
    OffloadConfig p = z.offloadParam();
    assertEquals(OffloadConfig.Device.NONE, p.device());
    assertEquals(5, p.bufferCount());
    assertEquals(100_000_000L, p.bufferSize());
    assertEquals(1_000_000_000L, p.maxInCpu());
    assertFalse(p.pinMemory());
  }

  @Test
  void aioPrecisionAndCheckpoint() {
    DeepSpeedConfig c = parse("");
    assertEquals(new AioConfig(1_048_576L, 8, 1, false, true), c.aio());
    Fp16Config f = c.fp16();
    assertEquals(new Fp16Config(false, false, 0.0, 16, 1000, 2, false, 1.0), f);
    assertTrue(f.dynamicLossScale());
    assertEquals(65536.0, f.initialScale());
    assertFalse(c.bf16().enabled());
    assertEquals(
        new CheckpointConfig(CheckpointConfig.TagValidation.WARN, false, false, false),
        c.checkpoint());
    assertEquals(
        new SparkSpeedConfig(SparkSpeedConfig.Device.AUTO, null, 0, 0, false), c.sparkspeed());
  }

  @Test
  void adamFamily() {
    OptimizerConfig a = parse(", \"optimizer\": {\"type\": \"Adam\"}").optimizer();
    assertEquals(1e-3, a.lr());
    assertEquals(0.9, a.beta1());
    assertEquals(0.999, a.beta2());
    assertEquals(1e-8, a.eps());
    assertEquals(0.0, a.weightDecay());
    assertTrue(a.biasCorrection());
    assertFalse(a.torchAdam());
    assertTrue(a.adamWMode());
    assertTrue(a.decoupledWeightDecay(), "DeepSpeed's Adam decays like AdamW by default");
    OptimizerConfig coupled =
        parse(", \"optimizer\": {\"type\": \"Adam\", \"params\": {\"adam_w_mode\": false}}")
            .optimizer();
    assertFalse(coupled.decoupledWeightDecay());
    OptimizerConfig adamw =
        parse(", \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"adam_w_mode\": false}}")
            .optimizer();
    assertTrue(adamw.decoupledWeightDecay(), "AdamW ignores adam_w_mode");
  }

  @Test
  void torchAdamWBringsItsOwnWeightDecay() {
    assertEquals(
        0.01,
        parse(", \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"torch_adam\": true}}")
            .optimizer()
            .weightDecay());
    assertEquals(
        0.0,
        parse(
                ", \"optimizer\": {\"type\": \"Adam\", \"params\": {\"torch_adam\": true,"
                    + " \"adam_w_mode\": false}}")
            .optimizer()
            .weightDecay());
  }

  @Test
  void sgd() {
    OptimizerConfig s = parse(", \"optimizer\": {\"type\": \"SGD\"}").optimizer();
    assertEquals(OptimizerConfig.Type.SGD, s.type());
    assertEquals(1e-3, s.lr());
    assertEquals(0.0, s.momentum());
    assertEquals(0.0, s.dampening());
    assertEquals(0.0, s.weightDecay());
    assertFalse(s.nesterov());
    assertFalse(s.decoupledWeightDecay());
  }

  @Test
  void schedules() {
    SchedulerConfig w =
        parse(
                ", \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0.02}},"
                    + " \"scheduler\": {\"type\": \"WarmupLR\"}")
            .scheduler();
    assertEquals(0.0, w.warmupMinLr());
    assertEquals(0.02, w.warmupMaxLr(), "WarmupLR peaks at the optimizer's lr");
    assertEquals(1000, w.warmupNumSteps());
    assertEquals(SchedulerConfig.WarmupType.LOG, w.warmupType());
    assertEquals(0, w.totalNumSteps());

    SchedulerConfig d =
        parse(
                ", \"optimizer\": {\"type\": \"AdamW\", \"params\": {\"lr\": 0.02}},"
                    + " \"scheduler\": {\"type\": \"WarmupDecayLR\","
                    + " \"params\": {\"total_num_steps\": 5000}}")
            .scheduler();
    assertEquals(1e-3, d.warmupMaxLr(), "WarmupDecayLR has its own default peak");
    assertEquals(5000, d.totalNumSteps());

    SchedulerConfig cos =
        parse(
                ", \"scheduler\": {\"type\": \"WarmupCosineLR\","
                    + " \"params\": {\"total_num_steps\": 5000}}")
            .scheduler();
    assertEquals(0.0, cos.warmupMinRatio());
    assertEquals(1e-4, cos.cosMinRatio());
    assertEquals(1000, cos.warmupNumSteps());
    assertEquals(SchedulerConfig.WarmupType.LOG, cos.warmupType());
  }
}
