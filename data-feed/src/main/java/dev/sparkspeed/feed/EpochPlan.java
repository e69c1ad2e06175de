package dev.sparkspeed.feed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The number of steps every data-parallel rank runs in one epoch, computed from each rank's row or
 * token count (exchanged by the caller, e.g. through the barrier rendezvous) so that every rank
 * calls the collectives the same number of times.
 *
 * <p>Rules:
 *
 * <ul>
 *   <li>{@link EpochPolicy#TRIM}: steps = the fewest full batches any rank holds. Fails when that
 *       is 0 (some rank holds less than one batch).
 *   <li>{@link EpochPolicy#WRAP}: steps = the most batches any rank needs, counting a last partial
 *       batch. Shorter ranks wrap around their own partition. A rank with an empty partition has
 *       nothing to wrap over, so WRAP fails naming the empty ranks: borrowing rows from another
 *       rank would need a shuffle inside the barrier stage. Repartitioning the input to the world
 *       size (round-robin) leaves no partition empty whenever there are at least as many rows as
 *       ranks.
 *   <li>Both fail, with a message of their own, when every partition is empty.
 * </ul>
 *
 * <p>Token feeds count in blocks of {@code blockSize} input positions: under TRIM a partition of n
 * tokens holds {@code floor((n - 1) / blockSize)} blocks (each block needs one more token for its
 * last target); under WRAP the token stream is circular, so it holds {@code ceil(n / blockSize)}.
 */
public final class EpochPlan {
  private final EpochPolicy policy;
  private final int batchSize;
  private final int blockSize;
  private final long[] counts;
  private final long[] batches;
  private final long steps;

  private EpochPlan(
      EpochPolicy policy, int batchSize, int blockSize, long[] counts, long[] batches, long steps) {
    this.policy = policy;
    this.batchSize = batchSize;
    this.blockSize = blockSize;
    this.counts = counts;
    this.batches = batches;
    this.steps = steps;
  }

  /**
   * A plan for a feature feed.
   *
   * @param rowsPerRank rows in each rank's partition, indexed by rank
   * @param batchSize rows per batch (the micro-batch size B)
   */
  public static EpochPlan forRows(long[] rowsPerRank, int batchSize, EpochPolicy policy) {
    requirePositive("batch size", batchSize);
    long[] batches = new long[rowsPerRank.length];
    for (int r = 0; r < rowsPerRank.length; r++) {
      batches[r] = perPass(rowsPerRank[r], batchSize, policy);
    }
    return build(policy, batchSize, 0, rowsPerRank, batches, "rows");
  }

  /**
   * A plan for a token feed.
   *
   * @param tokensPerRank tokens in each rank's partition after tokenization (separators included)
   * @param batchSize blocks per batch (B)
   * @param blockSize input positions per block (T)
   */
  public static EpochPlan forTokens(
      long[] tokensPerRank, int batchSize, int blockSize, EpochPolicy policy) {
    requirePositive("batch size", batchSize);
    requirePositive("block size", blockSize);
    long[] batches = new long[tokensPerRank.length];
    for (int r = 0; r < tokensPerRank.length; r++) {
      long n = tokensPerRank[r];
      long blocks =
          policy == EpochPolicy.TRIM
              ? Math.max(0, (n - 1) / blockSize)
              : ceilDiv(Math.max(n, 0), blockSize);
      batches[r] = perPass(blocks, batchSize, policy);
    }
    return build(policy, batchSize, blockSize, tokensPerRank, batches, "tokens");
  }

  /** A plan for a single process: the same rules with a world of one. */
  public static EpochPlan single(long rowsOrTokens, int batchSize, int blockSize, EpochPolicy p) {
    long[] one = {rowsOrTokens};
    return blockSize == 0 ? forRows(one, batchSize, p) : forTokens(one, batchSize, blockSize, p);
  }

  private static long perPass(long units, int batchSize, EpochPolicy policy) {
    return policy == EpochPolicy.TRIM
        ? Math.max(units, 0) / batchSize
        : ceilDiv(Math.max(units, 0), batchSize);
  }

  private static EpochPlan build(
      EpochPolicy policy,
      int batchSize,
      int blockSize,
      long[] counts,
      long[] batches,
      String unit) {
    if (counts.length == 0) {
      throw new IllegalArgumentException("an epoch plan needs the " + unit + " of at least 1 rank");
    }
    List<Integer> empty = new ArrayList<>();
    for (int r = 0; r < counts.length; r++) {
      if (counts[r] < 0) {
        throw new IllegalArgumentException(
            "rank " + r + " reported " + counts[r] + " " + unit + "; counts cannot be negative");
      }
      if (counts[r] == 0) {
        empty.add(r);
      }
    }
    String seen = unit + " per rank " + Arrays.toString(counts);
    if (empty.size() == counts.length) {
      throw new FeedException(
          "every partition is empty ("
              + seen
              + "): the input has no data; check the input path and any filter before training");
    }
    long steps;
    if (policy == EpochPolicy.WRAP) {
      if (!empty.isEmpty()) {
        throw new FeedException(
            "ranks "
                + empty
                + " have empty partitions ("
                + seen
                + "): with epoch policy wrap a rank wraps over its own partition and an empty one"
                + " has nothing to wrap over; repartition the input to the world size"
                + " (Dataset.repartition("
                + counts.length
                + ")) or train on fewer ranks");
      }
      steps = Arrays.stream(batches).max().getAsLong();
    } else {
      int smallest = 0;
      for (int r = 1; r < batches.length; r++) {
        if (batches[r] < batches[smallest]) {
          smallest = r;
        }
      }
      steps = batches[smallest];
      if (steps == 0) {
        throw new FeedException(
            "rank "
                + smallest
                + " holds less than one batch ("
                + seen
                + ", batch size "
                + batchSize
                + (blockSize > 0 ? ", block size " + blockSize : "")
                + "): with epoch policy trim every rank stops with the smallest partition, so the"
                + " epoch would have 0 steps; lower the batch size, rebalance the partitions or"
                + " use epoch policy wrap");
      }
    }
    return new EpochPlan(policy, batchSize, blockSize, counts.clone(), batches, steps);
  }

  private static long ceilDiv(long a, int b) {
    return (a + b - 1) / b;
  }

  private static void requirePositive(String what, int value) {
    if (value < 1) {
      throw new IllegalArgumentException(what + " must be at least 1, got " + value);
    }
  }

  /** Steps every rank runs this epoch. */
  public long steps() {
    return steps;
  }

  public EpochPolicy policy() {
    return policy;
  }

  /** Rows (row plans) or blocks (token plans) per batch. */
  public int batchSize() {
    return batchSize;
  }

  /** Input positions per block for token plans; 0 for row plans. */
  public int blockSize() {
    return blockSize;
  }

  /** Number of ranks. */
  public int world() {
    return counts.length;
  }

  /** The rows or tokens rank {@code rank} reported. */
  public long count(int rank) {
    return counts[rank];
  }

  /** Batches one pass over rank {@code rank}'s partition yields under this plan's policy. */
  public long batchesPerPass(int rank) {
    return batches[rank];
  }

  @Override
  public String toString() {
    return "EpochPlan["
        + policy
        + ", steps="
        + steps
        + ", batch="
        + batchSize
        + (blockSize > 0 ? ", block=" + blockSize : "")
        + ", counts="
        + Arrays.toString(counts)
        + "]";
  }
}
