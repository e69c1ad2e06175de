package dev.sparkspeed.feed;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * One language-model batch: {@code targets[b][t] == inputs[b][t + 1]} within a block, and the last
 * target of each block is the token after it. Both tensors are INT32 views over host buffers that
 * the batcher reuses: a batch is valid until the batcher's next {@code next()} or close.
 *
 * @param epoch the epoch this batch belongs to
 * @param step its index within the epoch, from 0
 * @param inputs (B, T) INT32 token ids
 * @param targets (B, T) INT32 next-token ids
 */
public record TokenBatch(int epoch, long step, Tensor inputs, Tensor targets) {}
