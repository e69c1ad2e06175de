package dev.sparkspeed.feed;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * One supervised batch. Both tensors are views over host buffers that the batcher reuses: a batch
 * is valid until the batcher's next {@code next()} or close.
 *
 * @param epoch the epoch this batch belongs to
 * @param step its index within the epoch, from 0
 * @param features (B, F) FP32
 * @param labels (B) FP32 for regression, INT32 class ids for classification
 */
public record FeatureBatch(int epoch, long step, Tensor features, Tensor labels) {}
