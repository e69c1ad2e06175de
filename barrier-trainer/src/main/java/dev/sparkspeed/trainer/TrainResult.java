package dev.sparkspeed.trainer;

/**
 * The outcome of {@link SparkSpeed#fit}.
 *
 * @param model the architecture
 * @param params the final FP32 parameters in parameter-table order
 * @param losses the mean loss over all ranks at every optimizer step this fit ran (after {@code
 *     startStep})
 * @param stepSeconds rank 0's wall time of every step this fit ran, in seconds
 * @param stageAttempt the barrier stage attempt that finished (0 unless Spark retried the stage)
 * @param startStep the step the finishing attempt resumed at (0 when it started afresh)
 * @param resumedFrom the tag of the checkpoint it resumed from, or null
 * @param counts each rank's tokens (token feeds) or rows (feature feeds)
 * @param rowsSkipped rows all ranks dropped for null values under the SKIP policy
 * @param feedSeconds the slowest rank's time to read its partition into the feed and count it
 * @param epochSteps micro-batches per epoch from the epoch plan
 * @param unitsPerStep tokens or rows one optimizer step trains on, on each rank
 * @param paramsSha256 SHA-256 of the parameters as little-endian FP32 bytes
 * @param wallSeconds the whole fit, preflight to result, in seconds
 */
public record TrainResult(
    ModelSpec model,
    float[] params,
    float[] losses,
    double[] stepSeconds,
    int stageAttempt,
    long startStep,
    String resumedFrom,
    long[] counts,
    long rowsSkipped,
    double feedSeconds,
    long epochSteps,
    long unitsPerStep,
    String paramsSha256,
    double wallSeconds) {

  /** Optimizer steps this fit ran. */
  public int steps() {
    return losses.length;
  }

  /** Optimizer steps the parameters have seen: those resumed plus those run. */
  public long totalSteps() {
    return startStep + losses.length;
  }

  /** The loss of the last step this fit ran; NaN when it resumed with no step left to run. */
  public float finalLoss() {
    return losses.length == 0 ? Float.NaN : losses[losses.length - 1];
  }
}
