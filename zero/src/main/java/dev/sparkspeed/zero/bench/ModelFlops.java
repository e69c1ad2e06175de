package dev.sparkspeed.zero.bench;

import dev.sparkspeed.zero.model.Gpt2Config;
import java.util.Arrays;

/**
 * The arithmetic behind a training benchmark's headline figures: model FLOPs per token (llm.c's
 * convention, so figures compare with llm.c and nanoGPT), tokens per second from step times, and
 * model FLOPs utilisation against a measured GEMM rate rather than a datasheet peak.
 */
public final class ModelFlops {
  private ModelFlops() {}

  /**
   * FLOPs of one forward and backward pass per trained token of a GPT-2 model at sequence length t:
   * 6·Ψ (every parameter in three GEMMs, two FLOPs each) plus 6·L·C·t for the causal attention
   * products (QKᵀ and att·V, forward and backward, halved by the mask). Ψ counts the padded
   * vocabulary, as the model's parameter table does.
   */
  public static double gpt2PerToken(Gpt2Config cfg, int t) {
    return 6.0 * cfg.parameterCount() + 6.0 * cfg.nLayer() * cfg.nEmbd() * t;
  }

  /** Tokens per second of steps of {@code tokensPerStep} tokens taking {@code stepSeconds}. */
  public static double tokensPerSecond(long tokensPerStep, double stepSeconds) {
    if (!(stepSeconds > 0)) {
      throw new IllegalArgumentException("step time " + stepSeconds + " s must be positive");
    }
    return tokensPerStep / stepSeconds;
  }

  /**
   * Model FLOPs utilisation: achieved model FLOP/s over the reference rate.
   *
   * @param tokensPerSecond trained tokens per second
   * @param flopsPerToken model FLOPs per token ({@link #gpt2PerToken})
   * @param referenceTflops the rate counted as 100%, TFLOP/s (the device's measured bf16 GEMM rate)
   * @return a fraction, e.g. 0.42 for 42%
   */
  public static double utilization(
      double tokensPerSecond, double flopsPerToken, double referenceTflops) {
    if (!(referenceTflops > 0)) {
      throw new IllegalArgumentException(
          "reference rate "
              + referenceTflops
              + " TFLOP/s must be positive (was the GEMM measured?)");
    }
    return tokensPerSecond * flopsPerToken / (referenceTflops * 1e12);
  }

  /** The median of some step times (the mean of the middle two for an even count). */
  public static double median(double[] values) {
    if (values.length == 0) {
      throw new IllegalArgumentException("no values to take the median of");
    }
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }
}
