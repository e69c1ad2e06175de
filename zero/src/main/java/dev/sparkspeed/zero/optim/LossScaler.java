package dev.sparkspeed.zero.optim;

/**
 * fp16 loss scaling with DeepSpeed's rules. Dynamic (loss_scale 0): start at 2^initial_scale_power;
 * on overflow skip the step and, once hysteresis is used up, halve the scale (never below
 * min_loss_scale; overflowing at the minimum fails); on a clean step that follows a positive
 * multiple of loss_scale_window clean steps since the last overflow (or the start), double it.
 * Static (loss_scale &gt; 0): a fixed scale and overflowing steps are skipped. With bf16 or fp32
 * the scale is 1 and never changes.
 */
public final class LossScaler {
  private final boolean dynamic;
  private final double minScale;
  private final int window;
  private final int hysteresis;
  private final boolean consecutiveHysteresis;
  private double scale;
  private int curHysteresis;
  private long iter;
  private long lastOverflowIter = -1;

  private LossScaler(
      boolean dynamic,
      double scale,
      double minScale,
      int window,
      int hysteresis,
      boolean consecutiveHysteresis) {
    this.dynamic = dynamic;
    this.scale = scale;
    this.minScale = minScale;
    this.window = window;
    this.hysteresis = hysteresis;
    this.consecutiveHysteresis = consecutiveHysteresis;
    this.curHysteresis = hysteresis;
  }

  /** No scaling (fp32, bf16). */
  public static LossScaler none() {
    return new LossScaler(false, 1.0, 1.0, 1, 1, false);
  }

  /** A fixed scale (fp16.loss_scale &gt; 0). */
  public static LossScaler fixed(double scale) {
    return new LossScaler(false, scale, scale, 1, 1, false);
  }

  /** DeepSpeed's dynamic scaler (fp16.loss_scale = 0). */
  public static LossScaler dynamic(
      int initialScalePower,
      int lossScaleWindow,
      int hysteresis,
      double minLossScale,
      boolean consecutiveHysteresis) {
    return new LossScaler(
        true,
        Math.pow(2, initialScalePower),
        minLossScale,
        lossScaleWindow,
        hysteresis,
        consecutiveHysteresis);
  }

  /** The current scale the loss is multiplied by. */
  public double scale() {
    return scale;
  }

  /**
   * Records one step's overflow check and moves the scale. Returns true when the step must be
   * skipped.
   *
   * @throws IllegalStateException when overflowing at the minimum scale
   */
  public boolean update(boolean overflow) {
    if (!dynamic) {
      iter++;
      return overflow;
    }
    if (overflow) {
      if (hysteresis == 1 || curHysteresis == 1) {
        if (scale <= minScale) {
          throw new IllegalStateException(
              "fp16 loss scale is already at min_loss_scale "
                  + minScale
                  + " and gradients still overflow at step "
                  + iter
                  + "; lower the learning rate, use bf16, or lower fp16.min_loss_scale");
        }
        scale = Math.max(scale / 2, minScale);
      } else {
        curHysteresis--;
      }
      lastOverflowIter = iter;
    } else {
      if (consecutiveHysteresis) {
        curHysteresis = hysteresis;
      }
      // DeepSpeed counts the clean iterations before this one since the last overflow (or the
      // start) and doubles when that count is a positive multiple of the window.
      long stable = iter - lastOverflowIter - 1;
      if (stable > 0 && stable % window == 0) {
        if (!consecutiveHysteresis) {
          curHysteresis = hysteresis;
        }
        scale *= 2;
      }
    }
    iter++;
    return overflow;
  }

  /** State for checkpoints: scale, hysteresis left, iteration, last overflow iteration. */
  public double[] state() {
    return new double[] {scale, curHysteresis, iter, lastOverflowIter};
  }

  /** Restores {@link #state()}. */
  public void restore(double[] s) {
    scale = s[0];
    curHysteresis = (int) s[1];
    iter = (long) s[2];
    lastOverflowIter = (long) s[3];
  }
}
