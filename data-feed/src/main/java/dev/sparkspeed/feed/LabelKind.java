package dev.sparkspeed.feed;

/** How a feature batcher hands out labels. */
public enum LabelKind {
  /** Labels as FP32 values (B), for regression losses such as MSE. */
  REGRESSION,
  /** Labels as INT32 class ids (B) in [0, numClasses), for cross-entropy. */
  CLASSIFICATION
}
