package dev.sparkspeed.feed;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where a rank's feed stands: after {@code step} batches of epoch {@code epoch}. Saved with each
 * checkpoint as JSON and handed back to a batcher's {@code resume} so a restarted run continues
 * with the identical batch sequence.
 *
 * <p>Resuming replays the epoch from its first row with the same seed and discards {@code step}
 * batches (the shuffle buffer's contents are not saved, they are rebuilt). The other fields are the
 * replay's checks: after the replay, the rows read, the generator state and the digest of every
 * batch so far must all match, or the data under the feed changed (other files, another
 * partitioning) and resuming fails instead of silently training on a different sequence.
 *
 * @param epoch epoch number, from 0
 * @param step batches already handed out in this epoch
 * @param rowsConsumed rows read from the partition in this epoch, over all wrap-around passes
 * @param seed the feed's base seed; epoch e shuffles with a seed derived from it and e
 * @param rngState the shuffle generator's state after {@code step} batches
 * @param digest a running 64-bit hash of every unit handed out in this epoch
 */
public record FeedCursor(
    int epoch, long step, long rowsConsumed, long seed, long rngState, long digest) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int VERSION = 1;

  public FeedCursor {
    if (epoch < 0 || step < 0 || rowsConsumed < 0) {
      throw new IllegalArgumentException(
          "cursor fields must be >= 0: epoch "
              + epoch
              + ", step "
              + step
              + ", rows "
              + rowsConsumed);
    }
  }

  /** The start of epoch {@code epoch} for a feed seeded with {@code seed}. */
  public static FeedCursor start(int epoch, long seed) {
    return new FeedCursor(epoch, 0, 0, seed, epochSeed(seed, epoch), 0);
  }

  /** The shuffle seed of epoch {@code epoch}: every epoch shuffles differently. */
  public static long epochSeed(long seed, int epoch) {
    return ShuffleBuffer.mix(seed ^ ShuffleBuffer.mix(0x5EEDL + epoch));
  }

  /** One JSON object; 64-bit fields are hex strings so JSON readers without longs keep them. */
  public String toJson() {
    ObjectNode n = JSON.createObjectNode();
    n.put("version", VERSION);
    n.put("epoch", epoch);
    n.put("step", step);
    n.put("rows_consumed", rowsConsumed);
    n.put("seed", hex(seed));
    n.put("rng_state", hex(rngState));
    n.put("digest", hex(digest));
    return n.toString();
  }

  /** Parses {@link #toJson()}'s output; fails naming the missing or malformed field. */
  public static FeedCursor fromJson(String json) {
    JsonNode n;
    try {
      n = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("feed cursor is not valid JSON: " + e.getMessage(), e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException("feed cursor must be a JSON object, got: " + json);
    }
    int version = (int) number(n, "version");
    if (version != VERSION) {
      throw new IllegalArgumentException(
          "feed cursor version "
              + version
              + " is not supported (this build reads "
              + VERSION
              + ")");
    }
    return new FeedCursor(
        (int) number(n, "epoch"),
        number(n, "step"),
        number(n, "rows_consumed"),
        unhex(n, "seed"),
        unhex(n, "rng_state"),
        unhex(n, "digest"));
  }

  private static long number(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.canConvertToLong()) {
      throw new IllegalArgumentException(
          "feed cursor field '" + field + "' missing or not a number");
    }
    return v.asLong();
  }

  private static String hex(long v) {
    return String.format("%016x", v);
  }

  private static long unhex(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual()) {
      throw new IllegalArgumentException(
          "feed cursor field '" + field + "' missing or not a hex string");
    }
    try {
      return Long.parseUnsignedLong(v.asText(), 16);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "feed cursor field '" + field + "' is not 16 hex digits: " + v.asText(), e);
    }
  }
}
