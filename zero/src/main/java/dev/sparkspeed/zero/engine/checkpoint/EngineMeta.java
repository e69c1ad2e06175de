package dev.sparkspeed.zero.engine.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sparkspeed.zero.checkpoint.CheckpointMeta;
import dev.sparkspeed.zero.checkpoint.CheckpointReader;
import dev.sparkspeed.zero.checkpoint.CorruptCheckpointException;
import dev.sparkspeed.zero.engine.EngineState;
import dev.sparkspeed.zero.engine.TrainSettings;
import dev.sparkspeed.zero.engine.ZeroEngine;
import dev.sparkspeed.zero.tensor.DType;
import java.util.Locale;

/**
 * The manifest fields the engine writes and reads back: its counters, settings and loss scaler as
 * JSON, and the checks that a checkpoint fits an engine before anything is loaded.
 */
final class EngineMeta {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EngineMeta() {}

  /** Everything but the tensors, for a save of {@code engine} now. */
  static CheckpointMeta build(ZeroEngine engine, EngineCheckpoint.Extras extras) {
    EngineState st = engine.state();
    TrainSettings s = engine.settings();
    ObjectNode es = JSON.createObjectNode();
    es.put("applied_steps", st.appliedSteps());
    es.put("global_steps", st.globalSteps());
    es.put("parameters", st.total());
    es.put("precision", s.precision().name().toLowerCase(Locale.ROOT));
    es.put("optimizer", s.optimizer().type().name().toLowerCase(Locale.ROOT));
    ArrayNode names = es.putArray("optimizer_tensors");
    st.optimizerTensors().forEach(names::add);
    es.put("gradient_accumulation_steps", s.gradAccumSteps());
    es.put("seed", s.seed());
    return new CheckpointMeta(
        st.globalSteps(),
        engine.communicator().worldSize(),
        s.stage(),
        engine.model().configJson(),
        extras.deepspeedConfig(),
        extras.dataCursor(),
        extras.rngStates(),
        scalerJson(st.lossScaler().state()),
        es);
  }

  private static JsonNode scalerJson(double[] state) {
    ObjectNode o = JSON.createObjectNode();
    o.put("scale", state[0]);
    o.put("cur_hysteresis", (long) state[1]);
    o.put("iter", (long) state[2]);
    o.put("last_overflow_iter", (long) state[3]);
    return o;
  }

  /** The saved loss scaler state, in {@link dev.sparkspeed.zero.optim.LossScaler#state()} order. */
  static double[] scalerState(CheckpointReader r) throws CorruptCheckpointException {
    JsonNode n = r.manifest().meta().lossScaler();
    String[] keys = {"scale", "cur_hysteresis", "iter", "last_overflow_iter"};
    double[] out = new double[keys.length];
    for (int i = 0; i < keys.length; i++) {
      JsonNode v = n.get(keys[i]);
      if (v == null || !v.isNumber()) {
        throw new CorruptCheckpointException(
            "checkpoint " + r.tag() + " has no number loss_scaler." + keys[i] + " (got " + n + ")");
      }
      out[i] = v.doubleValue();
    }
    if (!(out[0] > 0) || Double.isInfinite(out[0])) {
      throw new CorruptCheckpointException(
          "checkpoint " + r.tag() + " has loss_scaler.scale " + out[0] + "; it must be positive");
    }
    return out;
  }

  /** Applied and global step counts saved in {@code engine_state}. */
  static long[] steps(CheckpointReader r) throws CorruptCheckpointException {
    JsonNode es = r.manifest().meta().engineState();
    JsonNode a = es.get("applied_steps");
    JsonNode g = es.get("global_steps");
    if (a == null || !a.canConvertToInt() || g == null || !g.canConvertToLong()) {
      throw new CorruptCheckpointException(
          "checkpoint "
              + r.tag()
              + " has no engine_state.applied_steps / global_steps; it was not written by"
              + " the engine (got engine_state "
              + es
              + ")");
    }
    long applied = a.asLong();
    long global = g.asLong();
    if (applied < 0 || global < applied || global != r.manifest().meta().step()) {
      throw new CorruptCheckpointException(
          "checkpoint "
              + r.tag()
              + " has inconsistent step counts: applied "
              + applied
              + ", global "
              + global
              + ", step "
              + r.manifest().meta().step());
    }
    return new long[] {applied, global};
  }

  /** The precision the checkpoint was trained in ("fp32", "bf16", "fp16"), or "" if unrecorded. */
  static String precision(CheckpointReader r) {
    return r.manifest().meta().engineState().path("precision").asText("");
  }

  /** Adam and AdamW keep the same moments; SGD's momentum buffer is another quantity. */
  private static String family(String optimizer) {
    return optimizer.startsWith("adam") ? "adam" : optimizer;
  }

  /**
   * Fails, naming both sides, when the checkpoint was saved for another model or lacks a tensor
   * this engine's optimizer keeps. The world size and ZeRO stage may differ (elastic reload).
   */
  static void requireCompatible(CheckpointReader r, ZeroEngine engine) {
    JsonNode saved = r.manifest().meta().modelConfig();
    JsonNode mine = engine.model().configJson();
    if (!saved.isNull() && !saved.equals(mine)) {
      throw new IllegalArgumentException(
          "checkpoint "
              + r.tag()
              + " was saved for model "
              + saved
              + " but this engine trains "
              + mine
              + "; use the checkpoint's model config, or consolidate it and start from its weights"
              + " with --init-from");
    }
    String savedOpt = r.manifest().meta().engineState().path("optimizer").asText("");
    String myOpt = engine.settings().optimizer().type().name().toLowerCase(Locale.ROOT);
    if (!savedOpt.isEmpty() && !family(savedOpt).equals(family(myOpt))) {
      throw new IllegalArgumentException(
          "checkpoint "
              + r.tag()
              + " holds the moments of optimizer "
              + savedOpt
              + ", which mean something else to this run's "
              + myOpt
              + "; use "
              + savedOpt
              + ", or consolidate the checkpoint and start from its weights with --init-from");
    }
    EngineState st = engine.state();
    for (String name : st.optimizerTensors()) {
      if (!r.has(name)) {
        throw new IllegalArgumentException(
            "checkpoint "
                + r.tag()
                + " has no optimizer tensor '"
                + name
                + "' (it was saved with optimizer "
                + r.manifest().meta().engineState().path("optimizer").asText("?")
                + "); this engine's "
                + engine.settings().optimizer().type()
                + " needs "
                + st.optimizerTensors());
      }
      if (r.numel(name) != st.total() || r.dtype(name) != DType.FP32) {
        throw new IllegalArgumentException(
            "checkpoint "
                + r.tag()
                + " holds "
                + name
                + " as "
                + r.numel(name)
                + " × "
                + r.dtype(name)
                + " but this engine's model has "
                + st.total()
                + " FP32 parameters");
      }
    }
  }
}
