package dev.sparkspeed.zero.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;

/**
 * Everything a checkpoint records besides tensors, so that it describes itself and a run can resume
 * from it exactly. JSON-valued fields are kept as trees: the engine owns their schema.
 *
 * @param step optimizer steps taken when saved
 * @param worldSize data-parallel ranks that wrote it
 * @param zeroStage ZeRO stage 0-3 it was written under
 * @param modelConfig the model's config (e.g. GPT-2 n_layer, n_embd, ...)
 * @param deepspeedConfig the resolved DeepSpeed JSON config
 * @param dataCursor where the data feed stands (epoch, batches consumed, ...)
 * @param rngStates random generator states, as the engine records them
 * @param lossScaler dynamic loss scaler state (scale, good steps, ...)
 */
public record CheckpointMeta(
    long step,
    int worldSize,
    int zeroStage,
    JsonNode modelConfig,
    JsonNode deepspeedConfig,
    JsonNode dataCursor,
    JsonNode rngStates,
    JsonNode lossScaler) {

  public CheckpointMeta {
    if (step < 0) {
      throw new IllegalArgumentException("step " + step + " is negative");
    }
    if (worldSize < 1) {
      throw new IllegalArgumentException("world_size " + worldSize + " must be at least 1");
    }
    if (zeroStage < 0 || zeroStage > 3) {
      throw new IllegalArgumentException("zero_stage " + zeroStage + " must be 0, 1, 2 or 3");
    }
    modelConfig = orNull(modelConfig);
    deepspeedConfig = orNull(deepspeedConfig);
    dataCursor = orNull(dataCursor);
    rngStates = orNull(rngStates);
    lossScaler = orNull(lossScaler);
  }

  private static JsonNode orNull(JsonNode n) {
    return n == null ? NullNode.getInstance() : n;
  }
}
