package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code "fp16"} block: half-precision compute with loss scaling, with the defaults of
 * DeepSpeed's {@code DeepSpeedFP16Config} and loss scaler.
 *
 * @param enabled compute in fp16 with fp32 master weights
 * @param autoCast cast inputs to fp16 at the model's entry
 * @param lossScale fixed loss scale; 0 selects dynamic scaling
 * @param initialScalePower dynamic scaling starts at 2^this
 * @param lossScaleWindow steps without overflow before the scale doubles
 * @param hysteresis overflows tolerated before the scale halves
 * @param consecutiveHysteresis refill the hysteresis budget after every step without overflow
 * @param minLossScale floor under the dynamic scale
 */
public record Fp16Config(
    boolean enabled,
    boolean autoCast,
    double lossScale,
    int initialScalePower,
    int lossScaleWindow,
    int hysteresis,
    boolean consecutiveHysteresis,
    double minLossScale) {

  static final int DEFAULT_INITIAL_SCALE_POWER = 16;
  static final int DEFAULT_LOSS_SCALE_WINDOW = 1000;
  static final int DEFAULT_HYSTERESIS = 2;
  static final double DEFAULT_MIN_LOSS_SCALE = 1;

  static final String AUTO_PRECISION = "a precision (AutoValues.precision)";

  /** DeepSpeed's defaults (disabled), used when the block is absent. */
  public static Fp16Config defaults() {
    return new Fp16Config(
        false,
        false,
        0,
        DEFAULT_INITIAL_SCALE_POWER,
        DEFAULT_LOSS_SCALE_WINDOW,
        DEFAULT_HYSTERESIS,
        false,
        DEFAULT_MIN_LOSS_SCALE);
  }

  /** Whether the scale adapts to overflows (loss_scale 0) rather than staying fixed. */
  public boolean dynamicLossScale() {
    return lossScale == 0;
  }

  /** The first loss scale: 2^initial_scale_power when dynamic, else the fixed loss_scale. */
  public double initialScale() {
    return dynamicLossScale() ? Math.scalb(1.0, initialScalePower) : lossScale;
  }

  static Fp16Config read(JsonBlock b, AutoValues auto) {
    b.expect(
        "enabled",
        "auto_cast",
        "loss_scale",
        "initial_scale_power",
        "loss_scale_window",
        "hysteresis",
        "consecutive_hysteresis",
        "min_loss_scale");
    b.unsupported(
        "is a DeepSpeed setting this engine does not implement; remove it",
        "fp16_master_weights_and_grads",
        "fused_mode");
    b.rejectUnknown();
    int power = b.smallInteger("initial_scale_power", DEFAULT_INITIAL_SCALE_POWER, 0);
    if (power > 127) {
      throw new ConfigException(
          b.pathOf("initial_scale_power"),
          "\""
              + b.pathOf("initial_scale_power")
              + "\" "
              + power
              + " overflows fp32 (2^128); use at most 127");
    }
    return new Fp16Config(
        b.bool("enabled", false, auto.fp16Enabled(), AUTO_PRECISION),
        b.bool("auto_cast", false),
        b.number("loss_scale", 0, 0, Double.MAX_VALUE),
        power,
        b.smallInteger("loss_scale_window", DEFAULT_LOSS_SCALE_WINDOW, 1),
        b.smallInteger("hysteresis", DEFAULT_HYSTERESIS, 1),
        b.bool("consecutive_hysteresis", false),
        b.number("min_loss_scale", DEFAULT_MIN_LOSS_SCALE, Double.MIN_NORMAL, Double.MAX_VALUE));
  }

  void write(ObjectNode out) {
    out.put("enabled", enabled);
    out.put("auto_cast", autoCast);
    out.put("loss_scale", lossScale);
    out.put("initial_scale_power", initialScalePower);
    out.put("loss_scale_window", lossScaleWindow);
    out.put("hysteresis", hysteresis);
    out.put("consecutive_hysteresis", consecutiveHysteresis);
    out.put("min_loss_scale", minLossScale);
  }
}
