package dev.sparkspeed.zero.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sparkspeed.zero.tensor.Tensor;

/**
 * A trainable model: a parameter table plus forward/backward over a {@link WeightSource}. A model
 * instance owns its activation buffers (allocated once on its backend for a fixed micro-batch
 * shape) and is closed to free them.
 */
public interface Model extends AutoCloseable {

  /** The layout of every parameter. */
  ParameterTable table();

  /** The model's configuration, as written into checkpoints. */
  JsonNode configJson();

  /** Fills a host FP32 flat buffer of table().totalElements() with the initial weights. */
  void initialize(Tensor hostParams, long seed);

  /**
   * Runs the forward pass on a host batch and returns the mean loss over non-ignored targets. The
   * activations needed for {@link #backward} are kept.
   */
  float forward(WeightSource weights, Batch batch);

  /**
   * Adds d(loss·lossScale)/dθ into the weight source's gradients, for the batch of the last
   * forward. lossScale folds gradient-accumulation averaging and fp16 loss scaling in.
   */
  void backward(WeightSource weights, float lossScale);

  /** Number of training targets that counted in the last forward's loss. */
  int lastTargetCount();

  /** Floating-point operations of one forward+backward per trained token (6·params + attention). */
  double flopsPerToken();

  @Override
  void close();
}
