package dev.sparkspeed.trainer.rank;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What one rank tells the others at the rendezvous. Nothing in it is secret.
 *
 * @param rank the rank (the barrier task's partition id)
 * @param host the executor's address
 * @param ringAddress "host:port" of this rank's ring server socket; empty when it failed to bind
 * @param count rows (feature feeds) or tokens (token feeds) in this rank's partition, for the epoch
 *     plan
 * @param gpu the GPU address Spark assigned to the task, or -1 for none
 * @param backend where the rank computes, "cpu" or "cuda"; empty when it failed before choosing
 * @param error why this rank cannot train (a bad row, a missing file), or null
 * @param retryable whether the error may pass on a retry of the stage (an I/O or memory failure),
 *     as opposed to one in the data or the settings, which a retry would only repeat
 */
public record RankInfo(
    int rank,
    String host,
    String ringAddress,
    long count,
    int gpu,
    String backend,
    String error,
    boolean retryable) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One JSON object, as sent through {@code allGather}. */
  public String encode() {
    ObjectNode n = JSON.createObjectNode();
    n.put("rank", rank);
    n.put("host", host);
    n.put("ring", ringAddress);
    n.put("count", count);
    n.put("gpu", gpu);
    n.put("backend", backend);
    if (error != null) {
      n.put("error", error);
      n.put("retryable", retryable);
    }
    return n.toString();
  }

  /** Parses {@link #encode()}'s output. */
  public static RankInfo decode(String s) {
    try {
      JsonNode n = JSON.readTree(s);
      return new RankInfo(
          n.get("rank").asInt(),
          n.get("host").asText(),
          n.get("ring").asText(),
          n.get("count").asLong(),
          n.get("gpu").asInt(),
          n.get("backend").asText(),
          n.has("error") ? n.get("error").asText() : null,
          n.path("retryable").asBoolean(false));
    } catch (JsonProcessingException | NullPointerException e) {
      throw new IllegalArgumentException("malformed rendezvous message: " + s, e);
    }
  }
}
