package dev.sparkspeed.plugin;

import java.io.Serializable;

/**
 * One rank's progress at an optimizer step, sent from the executor to the driver plugin every
 * {@code steps_per_print} steps. It travels over Spark's RPC, so it is a small serializable value.
 *
 * @param runId identifies one training job, so concurrent jobs' reports are not mixed
 * @param rank the reporting rank
 * @param world number of ranks in the job
 * @param step optimizer steps done, from 1
 * @param totalSteps optimizer steps the job will run
 * @param loss mean training loss of this step over all ranks
 * @param tokensPerSecond tokens (GPT) or rows (MLP) this rank trained per second since its last
 *     report
 * @param stepSeconds this rank's mean wall time per step since its last report, in seconds
 * @param lossScale the fp16 loss scale (1 without fp16)
 * @param modelStateBytes parameters, gradients and optimizer state held by this rank, in bytes
 * @param backendBytes all bytes the rank's compute backend holds (model states, activations)
 */
public record RankProgress(
    String runId,
    int rank,
    int world,
    long step,
    long totalSteps,
    double loss,
    double tokensPerSecond,
    double stepSeconds,
    double lossScale,
    long modelStateBytes,
    long backendBytes)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public RankProgress {
    if (rank < 0 || rank >= world) {
      throw new IllegalArgumentException("rank " + rank + " outside [0, " + world + ")");
    }
    if (step < 1 || step > totalSteps) {
      throw new IllegalArgumentException("step " + step + " outside [1, " + totalSteps + "]");
    }
  }
}
