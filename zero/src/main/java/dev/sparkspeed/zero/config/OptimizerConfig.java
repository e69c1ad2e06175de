package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code "optimizer"} block. DeepSpeed matches {@code Adam} and {@code AdamW} in any case (they
 * are its own optimizers) but looks {@code SGD} up in {@code torch.optim} by its exact class name,
 * so {@code "sgd"} is an error here too.
 *
 * @param type which update rule
 * @param lr learning rate before the scheduler scales it
 * @param beta1 Adam's first-moment decay
 * @param beta2 Adam's second-moment decay
 * @param eps Adam's denominator guard
 * @param weightDecay L2 penalty (SGD, Adam with {@code adam_w_mode} false) or decoupled decay
 * @param biasCorrection whether Adam divides the moments by {@code 1 - beta^t}
 * @param torchAdam DeepSpeed's switch to PyTorch's Adam; kept because it changes the default decay
 * @param adamWMode for {@code Adam}: decoupled weight decay (DeepSpeed's default is true)
 * @param momentum SGD momentum factor
 * @param dampening SGD dampening of the momentum update
 * @param nesterov SGD Nesterov momentum
 */
public record OptimizerConfig(
    Type type,
    double lr,
    double beta1,
    double beta2,
    double eps,
    double weightDecay,
    boolean biasCorrection,
    boolean torchAdam,
    boolean adamWMode,
    double momentum,
    double dampening,
    boolean nesterov) {

  /** The optimizers this engine implements, by the names DeepSpeed's config uses. */
  public enum Type {
    ADAM("Adam"),
    ADAMW("AdamW"),
    SGD("SGD");

    private final String jsonName;

    Type(String jsonName) {
      this.jsonName = jsonName;
    }

    /** The spelling written back by {@link DeepSpeedConfig#toJson()}. */
    public String jsonName() {
      return jsonName;
    }
  }

  static final String AUTO_LR = "a learning rate (AutoValues.learningRate)";
  static final String AUTO_WD = "a weight decay (AutoValues.weightDecay)";

  /** FusedAdam, DeepSpeedCPUAdam and torch.optim.SGD defaults. */
  static final double DEFAULT_LR = 1e-3;

  static final double DEFAULT_BETA1 = 0.9;
  static final double DEFAULT_BETA2 = 0.999;
  static final double DEFAULT_EPS = 1e-8;

  /** torch.optim.AdamW's own default, which applies only when {@code torch_adam} picks it. */
  static final double TORCH_ADAMW_WEIGHT_DECAY = 1e-2;

  private static final Set<String> OTHER_DEEPSPEED_OPTIMIZERS =
      Set.of(
          "adagrad",
          "lamb",
          "onebitadam",
          "zerooneadam",
          "onebitlamb",
          "muadam",
          "muadamw",
          "musgd",
          "lion",
          "muon");

  private static final String[] ADAM_KEYS = {
    "betas", "eps", "bias_correction", "torch_adam", "adam_w_mode"
  };
  private static final String[] SGD_KEYS = {"momentum", "dampening", "nesterov"};

  /**
   * Whether weight decay is decoupled from the gradient (AdamW); DeepSpeed applies it for {@code
   * AdamW} always and for {@code Adam} unless {@code adam_w_mode} is false.
   */
  public boolean decoupledWeightDecay() {
    return type == Type.ADAMW || (type == Type.ADAM && adamWMode);
  }

  static OptimizerConfig read(JsonBlock block, AutoValues auto) {
    block.expect("type", "params");
    block.unsupported(
        "is a DeepSpeed setting this engine does not implement; remove it", "legacy_fusion");
    block.rejectUnknown();
    if (!block.has("type")) {
      throw new ConfigException(
          block.pathOf("type"),
          "\"" + block.pathOf("type") + "\" is required: one of Adam, AdamW, SGD");
    }
    Type type = readType(block);
    JsonBlock p = block.block("params");
    p.expect("lr", "weight_decay");
    p.expect(ADAM_KEYS);
    p.expect(SGD_KEYS);
    p.unsupported(
        "is not an optimizer parameter in DeepSpeed; use the top-level \"gradient_clipping\"",
        "max_grad_norm");
    p.unsupported("is not supported: DeepSpeed's fused and CPU Adam reject AMSGrad", "amsgrad");
    p.rejectUnknown();
    double lr = p.number("lr", DEFAULT_LR, 0, Double.MAX_VALUE, auto.learningRate(), AUTO_LR);
    if (type == Type.SGD) {
      for (String k : ADAM_KEYS) {
        p.forbid(
            k, "is an Adam parameter; SGD takes lr, momentum, dampening, weight_decay, nesterov");
      }
      double wd = p.number("weight_decay", 0, 0, Double.MAX_VALUE, auto.weightDecay(), AUTO_WD);
      double momentum = p.number("momentum", 0, 0, Double.MAX_VALUE);
      double dampening = p.number("dampening", 0, 0, Double.MAX_VALUE);
      boolean nesterov = p.bool("nesterov", false);
      if (nesterov && (momentum <= 0 || dampening != 0)) {
        throw new ConfigException(
            p.pathOf("nesterov"),
            "\""
                + p.pathOf("nesterov")
                + "\" needs momentum > 0 and dampening 0, as torch.optim.SGD");
      }
      return new OptimizerConfig(
          type,
          lr,
          DEFAULT_BETA1,
          DEFAULT_BETA2,
          DEFAULT_EPS,
          wd,
          true,
          false,
          true,
          momentum,
          dampening,
          nesterov);
    }
    for (String k : SGD_KEYS) {
      p.forbid(k, "is an SGD parameter; " + type.jsonName() + " does not take it");
    }
    double[] betas = p.pair("betas", new double[] {DEFAULT_BETA1, DEFAULT_BETA2}, 0, 0.9999999);
    double eps = p.number("eps", DEFAULT_EPS, 0, Double.MAX_VALUE);
    boolean biasCorrection = p.bool("bias_correction", true);
    boolean torchAdam = p.bool("torch_adam", false);
    boolean adamWMode = p.bool("adam_w_mode", true);
    boolean decoupled = type == Type.ADAMW || adamWMode;
    double defaultDecay = torchAdam && decoupled ? TORCH_ADAMW_WEIGHT_DECAY : 0;
    double wd =
        p.number("weight_decay", defaultDecay, 0, Double.MAX_VALUE, auto.weightDecay(), AUTO_WD);
    return new OptimizerConfig(
        type, lr, betas[0], betas[1], eps, wd, biasCorrection, torchAdam, adamWMode, 0, 0, false);
  }

  private static Type readType(JsonBlock block) {
    Map<String, Type> adam = new LinkedHashMap<>();
    adam.put("Adam", Type.ADAM);
    adam.put("AdamW", Type.ADAMW);
    String raw = block.string("type", null);
    for (Map.Entry<String, Type> e : adam.entrySet()) {
      if (e.getKey().equalsIgnoreCase(raw)) {
        return e.getValue();
      }
    }
    if (raw != null && OTHER_DEEPSPEED_OPTIMIZERS.contains(raw.toLowerCase(Locale.ROOT))) {
      throw new ConfigException(
          block.pathOf("type"),
          "\""
              + block.pathOf("type")
              + "\" is \""
              + raw
              + "\", a DeepSpeed optimizer this engine does not implement; use Adam, AdamW or SGD");
    }
    Map<String, Type> all = new LinkedHashMap<>(adam);
    all.put("SGD", Type.SGD);
    return block.choice("type", null, all, false);
  }

  void write(ObjectNode out) {
    out.put("type", type.jsonName());
    ObjectNode p = out.putObject("params");
    p.put("lr", lr);
    if (type == Type.SGD) {
      p.put("momentum", momentum);
      p.put("dampening", dampening);
      p.put("weight_decay", weightDecay);
      p.put("nesterov", nesterov);
      return;
    }
    p.putArray("betas").add(beta1).add(beta2);
    p.put("eps", eps);
    p.put("weight_decay", weightDecay);
    p.put("bias_correction", biasCorrection);
    p.put("torch_adam", torchAdam);
    p.put("adam_w_mode", adamWMode);
  }
}
