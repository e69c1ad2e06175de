package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.plugin.ExecutorRuntime;
import dev.sparkspeed.plugin.RankProgress;
import dev.sparkspeed.zero.engine.ZeroEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reports a rank's progress every {@code steps_per_print} steps and at the last step: rank 0 logs a
 * line, and every rank publishes a {@link RankProgress} to the SparkSpeed plugin when it is
 * configured (which prints the job's line on the driver and updates the executor's gauges).
 */
final class ProgressReporter {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);

  private final String runId;
  private final int rank;
  private final int world;
  private final long totalSteps;
  private final int every;
  private final long unitsPerStep;
  private long lastStep;
  private double secondsSinceReport;

  /**
   * @param every steps between reports; 0 reports only the last step
   */
  ProgressReporter(
      String runId, int rank, int world, long totalSteps, int every, long unitsPerStep) {
    this.runId = runId;
    this.rank = rank;
    this.world = world;
    this.totalSteps = totalSteps;
    this.every = every;
    this.unitsPerStep = unitsPerStep;
  }

  /** Records step {@code step} (from 1) that took {@code seconds}. */
  void step(long step, double seconds, ZeroEngine.StepResult r, ZeroEngine engine, long bytes) {
    secondsSinceReport += seconds;
    boolean due = step == totalSteps || (every > 0 && step % every == 0);
    if (!due) {
      return;
    }
    long steps = step - lastStep;
    double perStep = secondsSinceReport / steps;
    RankProgress p =
        new RankProgress(
            runId,
            rank,
            world,
            step,
            totalSteps,
            r.loss(),
            unitsPerStep * steps / Math.max(secondsSinceReport, 1e-9),
            perStep,
            r.lossScale(),
            engine.modelStateBytes(),
            bytes);
    if (rank == 0) {
      LOG.info(
          "step {}/{} loss {} lr {} grad norm {} {} s/step",
          step,
          totalSteps,
          String.format("%.4f", r.loss()),
          String.format("%.3g", r.lr()),
          String.format("%.3f", r.gradNorm()),
          String.format("%.3f", perStep));
    }
    ExecutorRuntime.current().ifPresent(rt -> rt.publish(p));
    lastStep = step;
    secondsSinceReport = 0;
  }
}
