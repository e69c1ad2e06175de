package dev.sparkspeed.trainer.rank;

import java.io.Serializable;

/**
 * What a rank's task returns to the driver (through the shuffle that follows the barrier stage).
 *
 * @param rank the rank
 * @param stageAttempt the stage attempt that produced it, from 0
 * @param error the ranks' errors when the job could not train (every rank returns the same), else
 *     null
 * @param startStep steps done before this attempt, restored from the checkpoint it resumed from
 * @param resumedFrom the tag of that checkpoint, or null when training started afresh
 * @param losses the mean loss over all ranks of every optimizer step this attempt ran
 * @param stepSeconds this rank's wall time of every step
 * @param params rank 0: the final FP32 parameters in table order; other ranks: null
 * @param count this rank's rows (feature feeds) or tokens (token feeds)
 * @param rowsSkipped rows dropped because of nulls under the SKIP policy
 * @param feedSeconds time to read, convert and spill the partition and count its units
 * @param epochSteps micro-batches per epoch from the epoch plan
 * @param unitsPerStep tokens or rows one step trains on, on this rank
 * @param lossScale the final loss scale
 * @param modelStateBytes this rank's model-state bytes
 */
public record RankResult(
    int rank,
    int stageAttempt,
    String error,
    long startStep,
    String resumedFrom,
    float[] losses,
    double[] stepSeconds,
    float[] params,
    long count,
    long rowsSkipped,
    double feedSeconds,
    long epochSteps,
    long unitsPerStep,
    double lossScale,
    long modelStateBytes)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The result of a rank that could not train. */
  static RankResult failed(int rank, int stageAttempt, String error) {
    return new RankResult(
        rank, stageAttempt, error, 0, null, new float[0], new double[0], null, 0, 0, 0, 0, 0, 0, 0);
  }

  /** Optimizer steps run in this attempt. */
  public int steps() {
    return losses.length;
  }
}
