package dev.sparkspeed.zero.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The {@code "bf16"} block (DeepSpeed still reads the old name {@code "bfloat16"}).
 *
 * @param enabled compute in bfloat16 with fp32 master weights; no loss scaling is needed
 */
public record Bf16Config(boolean enabled) {

  static Bf16Config read(JsonBlock b, AutoValues auto) {
    b.expect("enabled");
    b.unsupported(
        "is a DeepSpeed setting this engine does not implement; remove it",
        "immediate_grad_update",
        "check_grad_overflow",
        "bf16_master_weights_and_grads",
        "bf16_optimizer_states");
    b.rejectUnknown();
    return new Bf16Config(b.bool("enabled", false, auto.bf16Enabled(), Fp16Config.AUTO_PRECISION));
  }

  void write(ObjectNode out) {
    out.put("enabled", enabled);
  }
}
