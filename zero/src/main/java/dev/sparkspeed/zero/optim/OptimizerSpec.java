package dev.sparkspeed.zero.optim;

/**
 * A resolved optimizer, DeepSpeed's "optimizer" block.
 *
 * @param type Adam, AdamW or SGD
 * @param lr base learning rate (the schedule scales or replaces it)
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param eps Adam's denominator term
 * @param weightDecay decay coefficient; applied only to parameters the table marks for decay
 * @param adamWMode true: decoupled decay (AdamW); false: L2 added to the gradient (Adam)
 * @param momentum SGD momentum (0 = plain SGD)
 */
public record OptimizerSpec(
    Type type,
    double lr,
    double beta1,
    double beta2,
    double eps,
    double weightDecay,
    boolean adamWMode,
    double momentum) {

  /** Supported optimizers. */
  public enum Type {
    ADAM,
    ADAMW,
    SGD
  }

  /** AdamW with DeepSpeed's defaults for betas and eps. */
  public static OptimizerSpec adamW(double lr, double weightDecay) {
    return new OptimizerSpec(Type.ADAMW, lr, 0.9, 0.999, 1e-8, weightDecay, true, 0);
  }

  /** Number of FP32 state tensors per parameter (Adam: m and v; SGD: momentum buffer or none). */
  public int stateCount() {
    return type == Type.SGD ? (momentum == 0 ? 0 : 1) : 2;
  }
}
