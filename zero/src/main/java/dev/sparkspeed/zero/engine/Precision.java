package dev.sparkspeed.zero.engine;

import dev.sparkspeed.zero.tensor.DType;

/** What the model's parameter and gradient copies are stored in; masters are always FP32. */
public enum Precision {
  FP32(DType.FP32),
  BF16(DType.BF16),
  FP16(DType.FP16);

  private final DType dtype;

  Precision(DType dtype) {
    this.dtype = dtype;
  }

  /** Storage type of model parameters and gradients. */
  public DType dtype() {
    return dtype;
  }

  /** True for bf16 and fp16. */
  public boolean isHalf() {
    return this != FP32;
  }
}
