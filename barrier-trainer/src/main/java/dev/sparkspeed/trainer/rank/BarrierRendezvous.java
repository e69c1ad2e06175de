package dev.sparkspeed.trainer.rank;

import dev.sparkspeed.trainer.SparkSpeedException;
import dev.sparkspeed.zero.comm.CommException;
import java.time.Duration;
import java.util.Base64;
import java.util.function.Function;

/**
 * The engine's {@link dev.sparkspeed.zero.comm.Rendezvous} over the barrier stage's all-gather, for
 * the exchange that bootstraps NCCL. Spark's all-gather carries strings, so the bytes travel as
 * Base64; the answers come back in rank order. A call that does not complete within the timeout
 * fails with a {@link CommException} rather than waiting for Spark's own barrier timeout, which
 * defaults to a year.
 */
final class BarrierRendezvous implements dev.sparkspeed.zero.comm.Rendezvous {
  private final Function<String, String[]> allGather;
  private final int rank;
  private final int world;
  private final Duration timeout;

  /**
   * @param allGather the barrier's all-gather ({@code BarrierTaskContext::allGather}): every rank's
   *     message, in rank order
   * @param timeout the longest one exchange may take
   */
  BarrierRendezvous(Function<String, String[]> allGather, int rank, int world, Duration timeout) {
    this.allGather = allGather;
    this.rank = rank;
    this.world = world;
    this.timeout = timeout;
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int worldSize() {
    return world;
  }

  @Override
  public byte[][] allGather(byte[] mine) {
    String text = Base64.getEncoder().encodeToString(mine);
    String[] answers;
    try {
      answers =
          Rendezvous.bounded(rank, timeout, () -> allGather.apply(text), "NCCL exchange", world);
    } catch (SparkSpeedException e) {
      throw new CommException(e.getMessage(), e);
    }
    if (answers.length != world) {
      throw new CommException(
          "rank "
              + rank
              + ": the NCCL exchange returned "
              + answers.length
              + " messages for world size "
              + world);
    }
    byte[][] out = new byte[world][];
    for (int r = 0; r < world; r++) {
      try {
        out[r] = Base64.getDecoder().decode(answers[r]);
      } catch (IllegalArgumentException e) {
        throw new CommException(
            "rank " + rank + ": rank " + r + "'s NCCL exchange message is not Base64 text", e);
      }
    }
    return out;
  }
}
