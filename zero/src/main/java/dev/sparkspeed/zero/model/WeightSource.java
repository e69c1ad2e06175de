package dev.sparkspeed.zero.model;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Where a model finds its parameters and gradients, group by group. The plain source is one flat
 * FP32 buffer; a ZeRO stage-3 source gathers a group's shards before {@link #beginForward} returns
 * and releases them after {@link #endForward}, and a stage-2 source reduces a group's gradients
 * once {@link #endBackward} is called. Models call the hooks around every use of a group, in order,
 * so the engine can prefetch and release without intercepting model code.
 */
public interface WeightSource {

  /** Called before the forward pass uses the parameters of {@code group}. */
  void beginForward(String group);

  /** Called after the forward pass is done with {@code group} (until its backward). */
  void endForward(String group);

  /** Called before the backward pass uses {@code group}'s parameters and gradients. */
  void beginBackward(String group);

  /** Called when {@code group}'s gradients are complete for this micro-batch. */
  void endBackward(String group);

  /** The FP32 values of one parameter, valid between begin and end of its group. */
  Tensor param(ParamSpec p);

  /** The FP32 gradient accumulator of one parameter (backward adds into it). */
  Tensor grad(ParamSpec p);
}
