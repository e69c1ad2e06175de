package dev.sparkspeed.zero.optim;

import java.util.Locale;

/**
 * Learning rate per optimizer step, with DeepSpeed's schedules and parameter names. {@code lr(k)}
 * is the rate used by the k-th optimizer step (0-based), matching DeepSpeed, whose schedulers are
 * stepped once at construction and once after every optimizer step.
 */
public interface LrSchedule {

  /** Learning rate of optimizer step k (0-based). */
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
    return k -> minLr + (maxLr - minLr) * w.gamma(k);
  }

  /** WarmupDecayLR: WarmupLR, then linear decay to 0 at total_num_steps. */
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
    return k -> {
      double gamma =
          k < w.steps
              ? w.gamma(k)
              : Math.max(0.0, (double) (totalSteps - k) / Math.max(1.0, totalSteps - w.steps));
      return minLr + (maxLr - minLr) * gamma;
    };
  }

  /**
   * WarmupCosineLR: ratio warms from warmup_min_ratio to 1, then follows a cosine to cos_min_ratio
   * at total_num_steps; the rate is the optimizer's lr times the ratio.
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
    return k -> {
      double ratio;
      if (k < w.steps) {
        ratio = warmupMinRatio + w.gamma(k) * (1.0 - warmupMinRatio);
      } else {
        double real = k - w.steps + 1;
        double total = Math.max(1, totalSteps - w.steps);
        double cos = (1 + Math.cos(Math.PI * real / total)) / 2;
        ratio = Math.max(0.0, cosMinRatio + (1.0 - cosMinRatio) * cos);
      }
      return baseLr * ratio;
    };
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

    double gamma(long k) {
      if (k >= steps) {
        return 1.0;
      }
      return log ? invLog * Math.log(k + 1) : (double) k / steps;
    }
  }
}
