package dev.sparkspeed.zero.optim;

import java.util.Locale;
import java.util.function.LongToDoubleFunction;

/**
 * Learning rate per optimizer step, with DeepSpeed's schedules and parameter names. {@code lr(k)}
 * is the rate used by the k-th applied optimizer step (0-based). DeepSpeed's engine steps its
 * scheduler after every applied optimizer step and not at construction, so its first step runs at
 * the scheduler's pre-start rate (warmup_min_lr; 0 for WarmupCosineLR) and step k &ge; 1 at the
 * rate of last_batch_iteration k &minus; 1. The schedules here reproduce that sequence, so a run
 * follows the same rates as the same config under DeepSpeed.
 */
public interface LrSchedule {

  /** Learning rate of applied optimizer step k (0-based). */
  double lr(long k);

  /** A constant rate (no "scheduler" block). */
  static LrSchedule constant(double lr) {
    return k -> lr;
  }

  /**
   * WarmupLR: from warmup_min_lr to warmup_max_lr over warmup_num_steps ("log" or "linear"), then
   * constant.
   */
  static LrSchedule warmupLr(double minLr, double maxLr, long warmupSteps, String warmupType) {
    Warmup w = new Warmup(warmupSteps, warmupType);
    return afterIteration(minLr, i -> minLr + (maxLr - minLr) * w.gamma(i));
  }

  /** WarmupDecayLR: WarmupLR, then linear decay to warmup_min_lr at total_num_steps. */
  static LrSchedule warmupDecayLr(
      double minLr, double maxLr, long warmupSteps, String warmupType, long totalSteps) {
    if (totalSteps < warmupSteps) {
      throw new IllegalArgumentException(
          "scheduler.params.total_num_steps "
              + totalSteps
              + " is below warmup_num_steps "
              + warmupSteps);
    }
    Warmup w = new Warmup(warmupSteps, warmupType);
    return afterIteration(
        minLr,
        i -> {
          double gamma =
              i < w.steps
                  ? w.gamma(i)
                  : Math.max(0.0, (double) (totalSteps - i) / Math.max(1.0, totalSteps - w.steps));
          return minLr + (maxLr - minLr) * gamma;
        });
  }

  /**
   * WarmupCosineLR: ratio warms from warmup_min_ratio to 1, then follows a cosine to cos_min_ratio
   * at total_num_steps and stays there; the rate is the optimizer's lr times the ratio. The first
   * step runs at rate 0, as under DeepSpeed.
   */
  static LrSchedule warmupCosineLr(
      double baseLr,
      long totalSteps,
      double warmupMinRatio,
      long warmupSteps,
      double cosMinRatio,
      String warmupType) {
    if (totalSteps < warmupSteps) {
      throw new IllegalArgumentException(
          "scheduler.params.total_num_steps "
              + totalSteps
              + " is below warmup_num_steps "
              + warmupSteps);
    }
    Warmup w = new Warmup(warmupSteps, warmupType);
    return afterIteration(
        0.0,
        i -> {
          double ratio;
          if (i < w.steps) {
            ratio = warmupMinRatio + w.gamma(i) * (1.0 - warmupMinRatio);
          } else {
            double real = i - w.steps + 1;
            double total = Math.max(1, totalSteps - w.steps);
            double cos = (1 + Math.cos(Math.PI * Math.min(1.0, real / total))) / 2;
            ratio = Math.max(0.0, cosMinRatio + (1.0 - cosMinRatio) * cos);
          }
          return baseLr * ratio;
        });
  }

  /**
   * Step k's rate from a DeepSpeed formula of last_batch_iteration: the pre-start rate for k = 0,
   * else the formula at iteration k &minus; 1.
   */
  private static LrSchedule afterIteration(double preStart, LongToDoubleFunction atIteration) {
    return k -> k == 0 ? preStart : atIteration.applyAsDouble(k - 1);
  }

  /** DeepSpeed's warmup fraction: log(k+1)/log(W) or k/W, with W at least 2. */
  final class Warmup {
    final long steps;
    private final boolean log;
    private final double invLog;

    Warmup(long warmupSteps, String type) {
      this.steps = Math.max(2, warmupSteps);
      String t = type.toLowerCase(Locale.ROOT);
      if (!t.equals("log") && !t.equals("linear")) {
        throw new IllegalArgumentException(
            "scheduler.params.warmup_type '" + type + "' must be \"log\" or \"linear\"");
      }
      this.log = t.equals("log");
      this.invLog = 1.0 / Math.log(steps);
    }

    /** Warmup fraction at last_batch_iteration i. */
    double gamma(long i) {
      if (i >= steps) {
        return 1.0;
      }
      return log ? invLog * Math.log(i + 1) : (double) i / steps;
    }
  }
}
