package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.optim.LossScaler;
import dev.sparkspeed.zero.optim.LrSchedule;
import dev.sparkspeed.zero.optim.OptimizerSpec;
import java.util.function.Supplier;

/**
 * What the engine needs from a resolved DeepSpeed config.
 *
 * @param stage ZeRO stage 0–3
 * @param precision storage type of parameters and gradients
 * @param optimizer optimizer and its hyper-parameters
 * @param schedule learning rate per optimizer step
 * @param gradientClipping max global gradient norm; 0 disables clipping
 * @param gradAccumSteps micro-batches per optimizer step on each rank
 * @param reduceBucketSize elements reduced per collective call (stages 0–3)
 * @param overlapComm reduce a group's gradients while the backward pass continues (stage 2/3)
 * @param persistenceThreshold stage 3: groups at most this many elements stay gathered
 * @param lossScaler creates the loss scaler (fresh state per engine)
 * @param seed initialisation and data-order seed
 */
public record TrainSettings(
    int stage,
    Precision precision,
    OptimizerSpec optimizer,
    LrSchedule schedule,
    double gradientClipping,
    int gradAccumSteps,
    long reduceBucketSize,
    boolean overlapComm,
    long persistenceThreshold,
    Supplier<LossScaler> lossScaler,
    long seed) {

  public TrainSettings {
    if (stage < 0 || stage > 3) {
      throw new IllegalArgumentException(
          "zero_optimization.stage " + stage + " is not 0, 1, 2 or 3");
    }
    if (gradAccumSteps <= 0) {
      throw new IllegalArgumentException("gradient_accumulation_steps " + gradAccumSteps + " < 1");
    }
    if (reduceBucketSize <= 0) {
      throw new IllegalArgumentException(
          "zero_optimization.reduce_bucket_size " + reduceBucketSize + " must be positive");
    }
  }

  /** FP32 AdamW at a constant rate, stage 0, no clipping: the plain single-process setting. */
  public static TrainSettings simple(double lr, long seed) {
    return new TrainSettings(
        0,
        Precision.FP32,
        OptimizerSpec.adamW(lr, 0.0),
        LrSchedule.constant(lr),
        0.0,
        1,
        500_000_000L,
        true,
        100_000L,
        LossScaler::none,
        seed);
  }

  /** A copy with another stage. */
  public TrainSettings withStage(int s) {
    return new TrainSettings(
        s,
        precision,
        optimizer,
        schedule,
        gradientClipping,
        gradAccumSteps,
        reduceBucketSize,
        overlapComm,
        persistenceThreshold,
        lossScaler,
        seed);
  }

  /** A copy with another precision and loss scaler. */
  public TrainSettings withPrecision(Precision p, Supplier<LossScaler> scaler) {
    return new TrainSettings(
        stage,
        p,
        optimizer,
        schedule,
        gradientClipping,
        gradAccumSteps,
        reduceBucketSize,
        overlapComm,
        persistenceThreshold,
        scaler,
        seed);
  }
}
