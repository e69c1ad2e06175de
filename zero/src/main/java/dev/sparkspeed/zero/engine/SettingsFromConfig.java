package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.config.DeepSpeedConfig;
import dev.sparkspeed.zero.config.Fp16Config;
import dev.sparkspeed.zero.config.OptimizerConfig;
import dev.sparkspeed.zero.config.SchedulerConfig;
import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import dev.sparkspeed.zero.tensor.DType;
import java.util.Locale;
import java.util.function.Supplier;

/** Maps a resolved DeepSpeed config onto the engine's {@link TrainSettings}. */
public final class SettingsFromConfig {
  private SettingsFromConfig() {}

  /**
   * @param defaultOptimizer used when the config has no "optimizer" block
   */
  public static TrainSettings of(DeepSpeedConfig c, OptimizerSpec defaultOptimizer) {
    OptimizerSpec opt = c.optimizer() == null ? defaultOptimizer : optimizer(c.optimizer());
    if (c.zero().offloadOptimizer() != null && c.zero().offloadOptimizer().enabled()) {
      throw new UnsupportedOperationException(
          "zero_optimization.offload_optimizer.device is not \"none\", but optimizer offload is"
              + " not available in this build; remove the offload_optimizer block");
    }
    if (c.zero().offloadParam() != null && c.zero().offloadParam().enabled()) {
      throw new UnsupportedOperationException(
          "zero_optimization.offload_param.device is not \"none\", but parameter offload is not"
              + " available in this build; remove the offload_param block");
    }
    DType dt = c.mixedPrecision();
    Precision p =
        dt == DType.BF16 ? Precision.BF16 : dt == DType.FP16 ? Precision.FP16 : Precision.FP32;
    return new TrainSettings(
        c.zero().stage(),
        p,
        opt,
        schedule(c.scheduler(), opt.lr()),
        c.gradientClipping(),
        c.batch().gradientAccumulationSteps(),
        c.zero().reduceBucketSize(),
        c.zero().overlapComm(),
        c.zero().paramPersistenceThreshold(),
        scaler(p, c.fp16()),
        c.seed());
  }

  static OptimizerSpec optimizer(OptimizerConfig o) {
    OptimizerSpec.Type t = OptimizerSpec.Type.valueOf(o.type().name().toUpperCase(Locale.ROOT));
    boolean wMode = t == OptimizerSpec.Type.ADAMW || o.adamWMode();
    return new OptimizerSpec(
        t, o.lr(), o.beta1(), o.beta2(), o.eps(), o.weightDecay(), wMode, o.momentum());
  }

  static LrSchedule schedule(SchedulerConfig s, double lr) {
    if (s == null) {
      return LrSchedule.constant(lr);
    }
    String wt = s.warmupType().name().toLowerCase(Locale.ROOT);
    return switch (s.type()) {
      case WARMUP_LR ->
          LrSchedule.warmupLr(s.warmupMinLr(), s.warmupMaxLr(), s.warmupNumSteps(), wt);
      case WARMUP_DECAY_LR ->
          LrSchedule.warmupDecayLr(
              s.warmupMinLr(), s.warmupMaxLr(), s.warmupNumSteps(), wt, s.totalNumSteps());
      case WARMUP_COSINE_LR ->
          LrSchedule.warmupCosineLr(
              lr, s.totalNumSteps(), s.warmupMinRatio(), s.warmupNumSteps(), s.cosMinRatio(), wt);
    };
  }

  static Supplier<LossScaler> scaler(Precision p, Fp16Config f) {
    if (p != Precision.FP16) {
      return LossScaler::none;
    }
    if (f.lossScale() > 0) {
      return () -> LossScaler.fixed(f.lossScale());
    }
    return () ->
        LossScaler.dynamic(
            f.initialScalePower(),
            f.lossScaleWindow(),
            f.hysteresis(),
            f.minLossScale(),
            f.consecutiveHysteresis());
  }
}
