package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Serves a parameter group's FP32 values for compute. Implementations: {@link FlatParams} (whole
 * FP32 copy, stages 0–2), {@link WidenedParams} (whole 16-bit copy widened per group), {@link
 * GatheredParams} (stage 3: shards all-gathered per group, released after use).
 */
interface ParamStore extends AutoCloseable {

  /** FP32 values of the group's flat range [from, to); pairs with {@link #release}. */
  Tensor acquire(String group);

  /** The caller is done with the group until the next acquire. */
  void release(String group);

  /** A hint that the group will be acquired soon. */
  void prefetch(String group);

  /** Parameters changed (optimizer step): drop anything kept gathered. */
  void invalidate();

  @Override
  void close();
}
