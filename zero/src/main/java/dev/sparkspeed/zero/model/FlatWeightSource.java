package dev.sparkspeed.zero.model;

import dev.sparkspeed.zero.tensor.Tensor;

/**
 * Parameters (and optionally gradients) as whole FP32 flat tensors laid out by a parameter table;
 * the hooks do nothing. Used for inference and single-process reference runs.
 */
public final class FlatWeightSource implements WeightSource {
  private final Tensor params;
  private final Tensor grads;

  /**
   * @param grads may be null for inference
   */
  public FlatWeightSource(Tensor params, Tensor grads) {
    this.params = params;
    this.grads = grads;
  }

  @Override
  public void beginForward(String group) {}

  @Override
  public void endForward(String group) {}

  @Override
  public void beginBackward(String group) {}

  @Override
  public void endBackward(String group) {}

  @Override
  public Tensor param(ParamSpec p) {
    return params.view(p.offset(), p.shape());
  }

  @Override
  public Tensor grad(ParamSpec p) {
    if (grads == null) {
      throw new IllegalStateException("this weight source holds no gradients (inference only)");
    }
    return grads.view(p.offset(), p.shape());
  }
}
