package dev.sparkspeed.feed;

/**
 * How ranks whose partitions hold different amounts of data agree on one step count per epoch
 * (data-parallel ranks must run the same number of collective steps), and what happens to a last
 * partial batch.
 */
public enum EpochPolicy {
  /**
   * Every rank runs as many steps as the largest partition needs (a last partial batch counts as a
   * step); a rank that runs out wraps around to the start of its own partition. No data is dropped;
   * some is seen twice.
   */
  WRAP,
  /**
   * Every rank runs as many full batches as the smallest partition holds; the rest of the longer
   * partitions, and every last partial batch, is not used this epoch.
   */
  TRIM
}
