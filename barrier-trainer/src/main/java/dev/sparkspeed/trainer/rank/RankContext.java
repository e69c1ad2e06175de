package dev.sparkspeed.trainer.rank;

/**
 * What a rank needs from the barrier task that runs it. {@link SparkRankContext} wraps Spark's
 * {@code BarrierTaskContext}; tests run ranks as threads with their own.
 */
public interface RankContext {
  /** This rank: the task's partition id. */
  int rank();

  /** Number of ranks: the barrier stage's task count. */
  int world();

  /** The stage attempt, from 0; each retry of the stage counts one up. */
  int stageAttempt();

  /** CPU cores this task may use ({@code spark.task.cpus}). */
  int cpus();

  /** The GPU address Spark gave this task, or -1 for none. */
  int gpu();

  /** The executor's own address, which the ring binds to and publishes. */
  String host();

  /** The barrier all-gather: every rank's message, in rank order. */
  String[] allGather(String message);

  /** The barrier: returns once every rank has called it. */
  void barrier();

  /** Throws when Spark has killed the task (another rank failed); called between steps. */
  void checkCancelled();
}
