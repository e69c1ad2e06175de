package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Receives a group's gradients during backward and makes this rank's reduced gradients available to
 * the optimizer. {@link FullGrads}: whole gradient kept (stages 0 and 1); {@link ShardedGrads}:
 * only this rank's shard kept, groups reduced in buckets as backward runs (stages 2 and 3).
 */
interface GradStore extends AutoCloseable {

  /** Sets every gradient to zero before a step's first micro-batch. */
  void zero();

  /** The FP32 accumulator for the group's range [from, to); backward adds into it. */
  Tensor open(String group);

  /** The group's gradients for this micro-batch are complete. */
  void close(String group);

  /** All micro-batches are done: finish every reduction. */
  void finish();

  /**
   * This rank's reduced gradients, aligned with its optimizer range: the whole model at stage 0,
   * else the rank's shard (FP32 or 16-bit).
   */
  Tensor owned();

  @Override
  void close();
}
