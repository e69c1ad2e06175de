package dev.sparkspeed.zero.backend.cpu;

import dev.sparkspeed.zero.tensor.Tensor;
import java.nio.ByteBuffer;

/**
 * One AdamW call's operands (FP32, as native-order bytes) and settings. The bias corrections are
 * factors: m/(1 − β1^t) and √(v/(1 − β2^t)) = √v·(1 − β2^t)^−½ leave one square root and one
 * division per element, the loop's costliest operations.
 */
record AdamUpdate(
    int n,
    ByteBuffer p,
    ByteBuffer g,
    ByteBuffer m,
    ByteBuffer v,
    float lr,
    float beta1,
    float beta2,
    float eps,
    float weightDecay,
    float gradScale,
    float invBc1,
    float invSqrtBc2) {

  static AdamUpdate of(
      Tensor param,
      Tensor grad,
      Tensor m,
      Tensor v,
      float lr,
      float beta1,
      float beta2,
      float eps,
      float weightDecay,
      float gradScale,
      int step) {
    CpuAdam.checkStep(step);
    int n = param.intSize();
    return new AdamUpdate(
        n,
        Operands.f32Bytes(param, n, "adamW param"),
        Operands.f32Bytes(grad, n, "adamW grad"),
        Operands.f32Bytes(m, n, "adamW m"),
        Operands.f32Bytes(v, n, "adamW v"),
        lr,
        beta1,
        beta2,
        eps,
        weightDecay,
        gradScale,
        (float) (1.0 / (1.0 - Math.pow(beta1, step))),
        (float) (1.0 / Math.sqrt(1.0 - Math.pow(beta2, step))));
  }
}
