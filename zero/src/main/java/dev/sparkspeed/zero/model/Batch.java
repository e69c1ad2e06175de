package dev.sparkspeed.zero.model;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * One micro-batch on the host. For GPT models inputs and targets are INT32 token ids (B, T); for
 * the MLP inputs are FP32 features (B, F) and targets INT32 class ids (B) or FP32 values (B).
 * Targets equal to {@link #IGNORE_INDEX} contribute no loss.
 */
public record Batch(Tensor inputs, Tensor targets) {
  /** Target value that is skipped by the loss, as in PyTorch's cross-entropy. */
  public static final int IGNORE_INDEX = -100;
}
