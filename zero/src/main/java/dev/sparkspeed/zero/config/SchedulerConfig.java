package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@code "scheduler"} block: DeepSpeed's warm-up schedules, with the parameter names and
 * defaults of its {@code lr_schedules.py}. Each type accepts only its own parameters, as DeepSpeed
 * passes them to the schedule's constructor. DeepSpeed warms up over at least 2 steps whatever
 * {@code warmup_num_steps} says; the schedule implementation applies that floor.
 *
 * @param type which schedule
 * @param warmupMinLr learning rate at step 0 (WarmupLR, WarmupDecayLR)
 * @param warmupMaxLr learning rate reached after warm-up; for WarmupCosineLR the optimizer's lr,
 *     which the ratios scale
 * @param warmupNumSteps optimizer steps of warm-up
 * @param warmupType shape of the warm-up curve
 * @param totalNumSteps steps after which decay ends (WarmupDecayLR, WarmupCosineLR); 0 for
 *     WarmupLR, which holds the peak forever
 * @param warmupMinRatio WarmupCosineLR: start of warm-up as a fraction of the peak
 * @param cosMinRatio WarmupCosineLR: end of the cosine as a fraction of the peak
 */
public record SchedulerConfig(
    Type type,
    double warmupMinLr,
    double warmupMaxLr,
    long warmupNumSteps,
    WarmupType warmupType,
    long totalNumSteps,
    double warmupMinRatio,
    double cosMinRatio) {

  /** The schedules this engine implements, by DeepSpeed's (case-sensitive) names. */
  public enum Type {
    WARMUP_LR("WarmupLR"),
    WARMUP_DECAY_LR("WarmupDecayLR"),
    WARMUP_COSINE_LR("WarmupCosineLR");

    private final String jsonName;

    Type(String jsonName) {
      this.jsonName = jsonName;
    }

    /** DeepSpeed's name for the schedule. */
    public String jsonName() {
      return jsonName;
    }
  }

  /** How the rate climbs during warm-up. */
  public enum WarmupType {
    /** {@code min + (max - min) · ln(step + 1) / ln(warmup_num_steps)}: DeepSpeed's default. */
    LOG,
    /** {@code min + (max - min) · step / warmup_num_steps}. */
    LINEAR
  }

  static final double DEFAULT_WARMUP_MIN_LR = 0.0;
  static final double DEFAULT_WARMUP_MAX_LR = 1e-3;
  static final long DEFAULT_WARMUP_NUM_STEPS = 1000;
  static final double DEFAULT_WARMUP_MIN_RATIO = 0.0;
  static final double DEFAULT_COS_MIN_RATIO = 1e-4;

  static final String AUTO_WARMUP = "warm-up steps (AutoValues.warmupSteps)";
  static final String AUTO_TOTAL = "the total step count (AutoValues.totalSteps)";

  /**
   * @param optimizerLr the optimizer's lr, which WarmupLR and WarmupCosineLR use as their peak
   */
  static SchedulerConfig read(JsonBlock block, AutoValues auto, double optimizerLr) {
    block.expect("type", "params");
    block.rejectUnknown();
    if (!block.has("type")) {
      throw new ConfigException(
          block.pathOf("type"),
          "\""
              + block.pathOf("type")
              + "\" is required: one of WarmupLR, WarmupDecayLR, WarmupCosineLR");
    }
    String raw = block.string("type", null);
    if (raw.equals("OneCycle") || raw.equals("LRRangeTest")) {
      throw new ConfigException(
          block.pathOf("type"),
          "\""
              + block.pathOf("type")
              + "\" is \""
              + raw
              + "\", a DeepSpeed schedule this engine"
              + " does not implement; use WarmupLR, WarmupDecayLR or WarmupCosineLR");
    }
    Map<String, Type> names = new LinkedHashMap<>();
    for (Type t : Type.values()) {
      names.put(t.jsonName(), t);
    }
    Type type = block.choice("type", null, names, false);
    JsonBlock p = block.block("params");
    p.expect(
        "warmup_min_lr",
        "warmup_max_lr",
        "warmup_num_steps",
        "warmup_type",
        "total_num_steps",
        "warmup_min_ratio",
        "cos_min_ratio");
    p.unsupported(
        "is set by the engine when it resumes from a checkpoint; remove it",
        "last_batch_iteration");
    p.rejectUnknown();
    long warmupSteps =
        p.integer(
            "warmup_num_steps",
            DEFAULT_WARMUP_NUM_STEPS,
            1,
            AutoValues.boxLong(auto.warmupSteps()),
            AUTO_WARMUP);
    Map<String, WarmupType> warmupNames = new LinkedHashMap<>();
    warmupNames.put("log", WarmupType.LOG);
    warmupNames.put("linear", WarmupType.LINEAR);
    WarmupType warmupType = p.choice("warmup_type", WarmupType.LOG, warmupNames, false);

    double minLr = DEFAULT_WARMUP_MIN_LR;
    double maxLr = optimizerLr;
    long total = 0;
    double minRatio = DEFAULT_WARMUP_MIN_RATIO;
    double cosMin = DEFAULT_COS_MIN_RATIO;
    if (type == Type.WARMUP_COSINE_LR) {
      String why =
          "is not a WarmupCosineLR parameter: it scales the optimizer's lr by"
              + " warmup_min_ratio and cos_min_ratio";
      p.forbid("warmup_min_lr", why);
      p.forbid("warmup_max_lr", why);
      minRatio = p.number("warmup_min_ratio", DEFAULT_WARMUP_MIN_RATIO, 0, 1);
      cosMin = p.number("cos_min_ratio", DEFAULT_COS_MIN_RATIO, 0, 1);
    } else {
      String why = "is a WarmupCosineLR parameter; " + type.jsonName() + " does not take it";
      p.forbid("warmup_min_ratio", why);
      p.forbid("cos_min_ratio", why);
      minLr =
          p.number(
              "warmup_min_lr", DEFAULT_WARMUP_MIN_LR, 0, Double.MAX_VALUE, 0.0, "a learning rate");
      // DeepSpeed's WarmupLR falls back to the optimizer's lr; WarmupDecayLR has its own 1e-3.
      double maxDefault = type == Type.WARMUP_LR ? optimizerLr : DEFAULT_WARMUP_MAX_LR;
      maxLr =
          p.number(
              "warmup_max_lr",
              maxDefault,
              0,
              Double.MAX_VALUE,
              auto.learningRate(),
              OptimizerConfig.AUTO_LR);
    }
    if (type == Type.WARMUP_LR) {
      p.forbid("total_num_steps", "is not a WarmupLR parameter: WarmupLR never decays");
    } else {
      if (!p.has("total_num_steps")) {
        throw new ConfigException(
            p.pathOf("total_num_steps"),
            "\"" + p.pathOf("total_num_steps") + "\" is required by " + type.jsonName());
      }
      total = p.integer("total_num_steps", 0, 1, auto.totalSteps(), AUTO_TOTAL);
      if (total < warmupSteps) {
        p.warn(
            p.pathOf("total_num_steps")
                + " "
                + total
                + " is less than warmup_num_steps "
                + warmupSteps
                + ": the schedule never leaves warm-up");
      }
    }
    return new SchedulerConfig(
        type, minLr, maxLr, warmupSteps, warmupType, total, minRatio, cosMin);
  }

  void write(ObjectNode out) {
    out.put("type", type.jsonName());
    ObjectNode p = out.putObject("params");
    if (type == Type.WARMUP_COSINE_LR) {
      p.put("warmup_min_ratio", warmupMinRatio);
      p.put("cos_min_ratio", cosMinRatio);
    } else {
      p.put("warmup_min_lr", warmupMinLr);
      p.put("warmup_max_lr", warmupMaxLr);
    }
    p.put("warmup_num_steps", warmupNumSteps);
    p.put("warmup_type", warmupType == WarmupType.LOG ? "log" : "linear");
    if (type != Type.WARMUP_LR) {
      p.put("total_num_steps", totalNumSteps);
    }
  }
}
